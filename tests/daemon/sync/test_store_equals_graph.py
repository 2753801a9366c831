"""Model-based: whatever happens upstream between syncs, and wherever a sync is killed, after
every settled sync the store equals what Microsoft Graph would list now.

Random interleavings of deliver (Inbox or Sent Items), move (to Junk, Deleted Items, Inbox or
Archive), turn into a draft, delete, meeting invites (single or weekly series), cancel
(``isCancelled``), decline, end a series early (reported @removed, or silently), delta links
expired (410) and syncs killed at a random page run against the fake Graph through the real
Microsoft connectors and engine. The oracle is twofold: the mail source ids stored are exactly
the countable messages of the fake mailbox, and the whole store (claims and touchpoints)
equals a fresh full sync of the mailbox as it is now into an empty store.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from connectors import microsoft
from connectors.base import Source
from daemon.config import Config, MeSettings
from daemon.store import Store
from daemon.sync.engine import Engine

from fakes.graph_fixtures import NOW, Waits, account, env, running_fake, sign_in
from fakes.graph_mailbox import Mailbox, box
from fakes.graph_server import FakeGraph
from helpers.kills import Killed, Killing, snapshot

ME = "me@contoso.example"  # the fake identity's signed-in user
PEOPLE = [f"p{i}@example.org" for i in range(4)]
COUNTED = {"AAMk-inbox", "AAMk-sentitems", "AAMk-archive"}  # the folders the stream syncs
MAIL = "AAkALg"  # the fake's message id prefix (events are AAMkEv...)


def person(address: str, response: str = "accepted") -> dict[str, Any]:
    return {**box(address), "type": "required",
            "status": {"response": response, "time": "2025-01-01T00:00:00Z"}}


PICK = st.integers(0, 50)
DELIVER = st.tuples(st.just("deliver"), st.sampled_from(PEOPLE), st.integers(1, 2000),
                    st.booleans())
INVITE = st.tuples(st.just("invite"), st.sampled_from(PEOPLE), st.integers(-20, 60),
                   st.integers(1, 4))
CHANGES = st.one_of(
    DELIVER,
    st.tuples(st.just("move"), PICK,
              st.sampled_from(["junkemail", "deleteditems", "inbox", "archive"])),
    st.tuples(st.just("draft"), PICK),
    st.tuples(st.just("delete"), PICK),
    INVITE,
    st.tuples(st.just("cancel"), PICK),
    st.tuples(st.just("decline"), PICK),
    st.tuples(st.just("end_series"), PICK, st.integers(0, 3), st.booleans()),
    st.tuples(st.just("expire")),
)


class StoreEqualsGraph(RuleBasedStateMachine):
    """One fake Graph server and sign-in serve every example (set by the ``graph`` fixture);
    each example starts from an empty mailbox and an empty store."""

    graph: FakeGraph
    state: Path

    def __init__(self) -> None:
        super().__init__()
        self.fake = self.graph
        self.fake.mailbox, self.fake.page_cap = Mailbox(), 3  # small pages: more kill points
        self.box = self.fake.mailbox
        self.dir = Path(tempfile.mkdtemp(prefix="kw-graph-model-"))
        self.store = Store(f"sqlite:///{self.dir / 'kw.db'}")
        self.config = Config(me=MeSettings(addresses=(ME,)), accounts=(account(self.fake),))
        self.settled = True
        self.checks = 0

    def teardown(self) -> None:
        self.store.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _engine(self, store: Store, budget: list[int] | None = None) -> Engine:
        def build(acc: Any, e: Any) -> list[Source]:
            found = microsoft.build(acc, e, sleep=Waits())
            return found if budget is None else [Killing(s, budget) for s in found]
        return Engine(store, self.config, env(self.state), build=build)

    # -- the mailbox changes ---------------------------------------------------------------
    def _pick(self, pick: int, ids: list[str]) -> str | None:
        return sorted(ids)[pick % len(ids)] if ids else None

    def deliver(self, who: str, hours: int, sent: bool) -> None:
        frm, to, folder = (ME, who, "sentitems") if sent else (who, ME, "inbox")
        # Each message its own second: same sender, recipients and second make two copies of
        # one email (meaning._fingerprint), stored as one item named after the first seen.
        at = NOW - timedelta(hours=hours, seconds=len(self.box.log))
        self.box.add_message(folder, frm, (to,), at)

    def move(self, pick: int, folder: str) -> None:
        if (mid := self._pick(pick, list(self.box.messages))) is not None:
            self.box.move(mid, folder)

    def draft(self, pick: int) -> None:
        live = [m for m, v in self.box.messages.items() if not v["isDraft"]]
        if (mid := self._pick(pick, live)) is not None:
            self.box.change_message(mid, isDraft=True)

    def delete(self, pick: int) -> None:
        if (mid := self._pick(pick, list(self.box.messages))) is not None:
            self.box.delete(mid)

    def invite(self, who: str, days: int, count: int) -> None:
        """A meeting ``days`` ago (negative: ahead); ``count`` > 1: a weekly series."""
        first = NOW - timedelta(days=days)
        master = f"AAMkMaster{len(self.box.events)}"
        for week in range(count):
            at = first + timedelta(weeks=week)
            series: dict[str, Any] = {} if count == 1 else {
                "type": "occurrence", "seriesMasterId": master,
                "originalStart": at.strftime("%Y-%m-%dT%H:%M:%SZ")}
            self.box.add_event(at, attendees=[person(ME, "none"), person(who)], **series)

    def _event(self, pick: int) -> str | None:
        return self._pick(pick, [e for e, v in self.box.events.items() if not v["isCancelled"]])

    def cancel(self, pick: int) -> None:
        if (eid := self._event(pick)) is not None:
            self.box.change_event(eid, isCancelled=True)

    def decline(self, pick: int) -> None:
        if (eid := self._event(pick)) is not None:
            self.box.change_event(eid, responseStatus={"response": "declined",
                                                       "time": "2025-03-01T00:00:00Z"})

    def end_series(self, pick: int, weeks: int, silently: bool) -> None:
        masters = {v["seriesMasterId"] for v in self.box.events.values()
                   if v.get("seriesMasterId")}
        if (master := self._pick(pick, list(masters))) is not None:
            firsts = sorted(v["start"]["dateTime"] for v in self.box.events.values()
                            if v.get("seriesMasterId") == master)
            first = datetime.fromisoformat(firsts[0][:19] + "+00:00")
            self.box.end_series(master, first + timedelta(weeks=weeks), silently=silently)

    def expire(self) -> None:
        self.box.expire_tokens()

    @initialize(changes=st.lists(DELIVER | INVITE, min_size=2, max_size=6))
    def populate(self, changes: list[tuple[Any, ...]]) -> None:
        """A mailbox with mail and meetings, synced: later changes act on stored items."""
        self.change(changes)
        self.sync(None)

    @rule(changes=st.lists(CHANGES, min_size=1, max_size=6))
    def change(self, changes: list[tuple[Any, ...]]) -> None:
        """Several upstream changes between two syncs."""
        for name, *args in changes:
            getattr(self, name)(*args)
        self.settled = False

    # -- syncs -----------------------------------------------------------------------------
    @rule(kill=st.none() | st.integers(0, 8))
    def sync(self, kill: int | None) -> None:
        """A sync killed after ``kill`` pages when given, then one left to finish: every sync
        step ends settled, so every one is checked."""
        if kill is not None:
            try:
                self._engine(self.store, [kill]).sync()
            except Killed:
                pass
        results = self._engine(self.store).sync()
        assert [r.status for r in results] == ["ok"], results[0].error
        assert all(s.complete for s in results[0].streams)
        self.settled = True

    @precondition(lambda self: self.settled)
    @invariant()
    def store_equals_graph(self) -> None:
        claims, tps = snapshot(self.store)
        countable = {m for m, v in self.box.messages.items()
                     if v["parentFolderId"] in COUNTED and not v["isDraft"]}
        assert {c for c in claims if c.startswith(MAIL)} == countable
        self.checks += 1
        fresh = Store(f"sqlite:///{self.dir / f'fresh{self.checks}.db'}")
        try:
            self._engine(fresh).sync()
            assert (claims, tps) == snapshot(fresh)
        finally:
            fresh.dispose()


@pytest.fixture(scope="module", autouse=True)
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeGraph]:
    """The fake Graph (TLS, trusted through the CA variables) and a signed-in state folder."""
    folder = tmp_path_factory.mktemp("graph-model")
    with pytest.MonkeyPatch.context() as patch, running_fake(folder, patch) as fake:
        sign_in(fake, folder / "state")
        StoreEqualsGraph.graph, StoreEqualsGraph.state = fake, folder / "state"
        yield fake


# Bounded and seeded for CI: the same sequences every run (no example database either). The
# seed goes on the machine class: TestCase.runTest runs the machine, and reads it there.
StoreEqualsGraph.TestCase.settings = settings(
    max_examples=30, stateful_step_count=10, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestStoreEqualsGraph = seed(20261201)(StoreEqualsGraph).TestCase
