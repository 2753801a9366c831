"""Model-based: whatever happens upstream between syncs, and wherever a sync is killed, after
every settled sync the store equals what the provider would list now.

Random interleavings of deliver, trash, spam, untrash, delete, decline, cancel, cursor expiry
and syncs killed at a random page run against the fake Gmail and Calendar servers through the
real connectors and engine. The oracle is twofold: the Gmail source ids stored are exactly the
countable messages of the fake mailbox, and the whole store (claims and touchpoints) equals a
fresh full sync of the provider as it is now into an empty store.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from connectors.base import Source
from daemon.config import Config, MeSettings
from daemon.store import Store
from daemon.sync.engine import Engine

from fakes.google_fixtures import account, calendar, env, gmail
from fakes.google_server import FakeGoogle
from helpers.kills import Killed, Killing, snapshot

ME = "me@example.com"
PEOPLE = [f"p{i}@example.org" for i in range(4)]
HIDDEN = {"TRASH", "SPAM", "DRAFT"}


PICK = st.integers(0, 50)
CHANGES = st.one_of(
    st.tuples(st.just("deliver"), st.sampled_from(PEOPLE), st.integers(1, 2000), st.booleans()),
    st.tuples(st.just("hide"), PICK, st.sampled_from(["TRASH", "SPAM"])),
    st.tuples(st.just("unhide"), PICK),
    st.tuples(st.just("delete"), PICK),
    st.tuples(st.just("invite"), st.sampled_from(PEOPLE), st.integers(1, 60)),
    st.tuples(st.just("cancel"), PICK),
    st.tuples(st.just("decline"), PICK),
)


class StoreEqualsMailbox(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._fake = FakeGoogle()
        self.fake = self._fake.__enter__()
        self.dir = Path(tempfile.mkdtemp(prefix="kw-model-"))
        self.store = Store(f"sqlite:///{self.dir / 'kw.db'}")
        self.config = Config(me=MeSettings(addresses=(ME,)), accounts=(account(self.fake),))
        self.settled = True
        self.events = 0

    def teardown(self) -> None:
        self.store.dispose()
        self._fake.__exit__(None, None, None)
        shutil.rmtree(self.dir, ignore_errors=True)  # one folder per example, else /tmp fills

    def _sources(self, budget: list[int] | None = None) -> list[Source]:
        state = self.dir / "state"
        env(self.fake, state)
        found: list[Source] = [gmail(self.fake, state), calendar(self.fake, state)]
        return found if budget is None else [Killing(s, budget) for s in found]

    def _engine(self, store: Store, budget: list[int] | None = None) -> Engine:
        return Engine(store, self.config, env(self.fake, self.dir / "state"),
                      build=lambda acc, e: self._sources(budget))

    # -- the mailbox changes ---------------------------------------------------------------
    def deliver(self, who: str, hours: int, sent: bool) -> None:
        frm, to = (ME, who) if sent else (who, ME)
        mid = f"m{len(self.fake.mail.history)}-{hours}"
        # Each message its own second: two with the same second, sender and recipients are
        # one item by fingerprint (copies under other Message-IDs), named after the first.
        when = self.fake.now - timedelta(hours=hours, seconds=len(self.fake.mail.history))
        self.fake.mail.add(when, [
            ("From", frm), ("To", to), ("Message-ID", f"<{mid}@x>"),
            ("Date", "Mon, 6 Jan 2025 10:00:00 +0000")],
            labels=("SENT",) if sent else ("INBOX",))

    def _pick(self, pick: int, hidden: bool | None = None) -> str | None:
        ids = sorted(m.id for m in self.fake.mail.messages.values()
                     if hidden is None or bool(HIDDEN & set(m.labels)) == hidden)
        return ids[pick % len(ids)] if ids else None

    def hide(self, pick: int, label: str) -> None:
        if (mid := self._pick(pick, hidden=False)) is not None:
            self.fake.mail.label(mid, label)

    def unhide(self, pick: int) -> None:
        if (mid := self._pick(pick, hidden=True)) is not None:
            self.fake.mail.unlabel(mid, "TRASH", "SPAM")

    def delete(self, pick: int) -> None:
        if (mid := self._pick(pick)) is not None:
            self.fake.mail.delete(mid)

    def invite(self, who: str, days: int) -> None:
        self.events += 1
        self.fake.calendars["primary"].add(
            f"ev{self.events}", self.fake.now - timedelta(days=days),
            attendees=[{"email": ME, "self": True, "responseStatus": "accepted"},
                       {"email": who, "responseStatus": "accepted"}])

    def _event(self, pick: int) -> str | None:
        cal = self.fake.calendars["primary"]
        ids = sorted(e for e, ev in cal.events.items() if ev["status"] != "cancelled")
        return ids[pick % len(ids)] if ids else None

    def cancel(self, pick: int) -> None:
        if (eid := self._event(pick)) is not None:
            self.fake.calendars["primary"].cancel(eid)

    def decline(self, pick: int) -> None:
        if (eid := self._event(pick)) is not None:
            cal = self.fake.calendars["primary"]
            for who in cal.events[eid]["attendees"]:
                if who.get("self"):
                    who["responseStatus"] = "declined"
            cal._change(eid)

    def expire(self) -> None:
        self.fake.mail.expire_history()
        self.fake.calendars["primary"].expire_tokens()

    # -- one step: the mailbox changes, then a sync -----------------------------------------
    @rule(changes=st.lists(CHANGES, max_size=5), expire=st.booleans(),
          pages=st.none() | st.integers(0, 6))
    def step(self, changes: list[tuple], expire: bool, pages: int | None) -> None:
        """Some upstream changes, the cursors expired when ``expire``, then a sync killed
        after ``pages`` pages when given (settled when it was not). One rule rather than one
        per change: every step ends in a sync, so short sequences already interleave."""
        for name, *args in changes:
            getattr(self, name)(*args)
        if expire:
            self.expire()
        try:
            results = self._engine(self.store, None if pages is None else [pages]).sync()
        except Killed:
            self.settled = False
            return
        assert [r.status for r in results] == ["ok"], results[0].error
        self.settled = True

    @precondition(lambda self: self.settled)
    @invariant()
    def store_equals_mailbox(self) -> None:
        claims, tps = snapshot(self.store)
        countable = {m.id for m in self.fake.mail.messages.values()
                     if not HIDDEN & set(m.labels)}
        mail_claims = {c for c in claims if not c.startswith("ev")}
        assert mail_claims == countable
        fresh = Store(f"sqlite:///{self.dir / f'fresh{id(claims)}.db'}")
        try:
            self._engine(fresh).sync()
            assert (claims, tps) == snapshot(fresh)
        finally:
            fresh.dispose()


# Bounded and seeded for CI: the same sequences every run (no example database either).
StoreEqualsMailbox.TestCase.settings = settings(
    max_examples=20, stateful_step_count=8, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestStoreEqualsMailbox = seed(20261130)(StoreEqualsMailbox).TestCase  # the machine's seed
