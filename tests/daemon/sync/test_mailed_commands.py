"""End to end (issue 16): a summary offers actions as mail to yourself; the user "sends" one (it
lands in the provider's Sent view); the next sync carries it out exactly once; the next summary
confirms it. Forged, replayed and expired tokens and mail from someone else to a tagged address
do nothing and are counted. Against the fake Gmail and Graph servers, a real Dovecot (IMAP), a
maildir with a Sent folder and a folder of mbox files with a Sent file, through the real
connectors, engine and summary.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select, update

from connectors import microsoft
from connectors.base import Env
from connectors.settings import MaildirAccount, MboxAccount
from daemon.config import Config, MeSettings
from daemon.model.entries import Entry, Scored
from daemon.store import Store, ignores
from daemon.store.models import Contact, MailedCommand, Snooze, Stream
from daemon.summary.gather import build_summary
from daemon.summary.render import render_html, render_json, render_text
from daemon.sync import commands
from daemon.sync.engine import Engine

from fakes import dovecot
from fakes import google_fixtures as gfix
from fakes import graph_fixtures as msfix
from fakes.dovecot_fixtures import account as imap_account
from fakes.dovecot_fixtures import mailbox, server  # noqa: F401 (fixtures)
from fakes.google_server import FakeGoogle
from fakes.graph_mailbox import Mailbox

NORA, BOB, EVE = "nora@wingtip.example", "bob@acme.example", "eve@evil.example"
NAMES = {NORA: "Nora Petrova", BOB: "Bob Stone"}


class Gmail:
    """The fake Gmail: the user's Sent view is the messages labelled SENT."""

    def __init__(self, fake: FakeGoogle, folder: Path) -> None:
        self.fake, self.state = fake, folder / "state"
        self.me, self.now = fake.mail.address, fake.now

    def put(self, frm: str, to: str, when: datetime, mid: str, sent: bool) -> None:
        headers = [("From", frm), ("To", to), ("Message-ID", mid),
                   ("Date", format_datetime(when))]
        self.fake.mail.add(when, headers, labels=("SENT",) if sent else ("INBOX",))

    def sent_view(self) -> list[str]:
        return [dict(m.headers)["To"] for m in self.fake.mail.messages.values()
                if "SENT" in m.labels]

    def engine(self, store: Store, config: Config) -> Engine:
        self.fake.now = self.now
        return Engine(store, config, gfix.env(self.fake, self.state),
                      build=lambda acc, e: [gfix.gmail(self.fake, self.state)])

    def account(self) -> Any:
        return gfix.account(self.fake)


class Graph:
    """The fake Graph: the user's Sent view is the Sent Items folder."""

    def __init__(self, fake: Any, state: Path) -> None:
        self.fake, self.state = fake, state
        fake.mailbox = Mailbox()
        self.me, self.now = "me@contoso.example", msfix.NOW

    def put(self, frm: str, to: str, when: datetime, mid: str, sent: bool) -> None:
        self.fake.mailbox.add_message("sentitems" if sent else "inbox", sender=frm, to=(to,),
                                      when=when, internetMessageId=mid)

    def sent_view(self) -> list[str]:
        box = self.fake.mailbox
        sent = box.folder("sentitems")
        return [r["emailAddress"]["address"] for m in box.messages.values()
                if m["parentFolderId"] == sent for r in m["toRecipients"]]

    def engine(self, store: Store, config: Config) -> Engine:
        def build(acc: Any, e: Env) -> list[Any]:
            return [s for s in microsoft.build(acc, e, sleep=msfix.Waits())
                    if s.key.endswith("/mail")]
        return Engine(store, config, msfix.env(self.state, self.now), build=build)

    def account(self) -> Any:
        return msfix.account(self.fake)


class Maildir:
    """A Maildir++ tree: the user's Sent view is its ``.Sent`` folder."""

    def __init__(self, folder: Path) -> None:
        self.root, self.state = folder / "Mail", folder / "state"
        self.me, self.now = "me@example.com", datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
        self.count = 0

    def put(self, frm: str, to: str, when: datetime, mid: str, sent: bool) -> None:
        self.count += 1
        where = self.root / (".Sent" if sent else "") / "cur" / f"{self.count}.kw:2,S"
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text(f"From: {frm}\r\nTo: {to}\r\nMessage-ID: {mid}\r\n"
                         f"Date: {format_datetime(when)}\r\n\r\nbody\r\n")

    def sent_view(self) -> list[str]:
        return [line[4:] for f in sorted((self.root / ".Sent" / "cur").iterdir())
                for line in f.read_text().splitlines() if line.startswith("To: ")]

    def engine(self, store: Store, config: Config) -> Engine:
        return Engine(store, config, Env(state_dir=self.state, now=lambda: self.now))

    def account(self) -> Any:
        return MaildirAccount(name="md", kind="maildir", path=self.root)


class Mbox(Maildir):
    """A folder of mbox files (Thunderbird's, a Takeout): the Sent view is the ``Sent`` file."""

    def put(self, frm: str, to: str, when: datetime, mid: str, sent: bool) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ("Sent" if sent else "Inbox"), "a", encoding="utf-8") as fh:
            fh.write(f"From {frm} {when:%a %b %d %H:%M:%S %Y}\nFrom: {frm}\nTo: {to}\n"
                     f"Message-ID: {mid}\nDate: {format_datetime(when)}\n\nbody\n\n")

    def sent_view(self) -> list[str]:
        return [line[4:] for line in (self.root / "Sent").read_text().splitlines()
                if line.startswith("To: ")]

    def account(self) -> Any:
        return MboxAccount(name="mb", kind="mbox", path=self.root)


class Imap(Maildir):
    """A real Dovecot: the Sent view is its special-use ``Sent`` folder."""

    def __init__(self, box: dovecot.Mailbox, folder: Path) -> None:
        super().__init__(folder)
        self.mailbox, self.me = box, box.user

    def put(self, frm: str, to: str, when: datetime, mid: str, sent: bool) -> None:
        raw = (f"From: {frm}\r\nTo: {to}\r\nMessage-ID: {mid}\r\n"
               f"Date: {format_datetime(when)}\r\n\r\nbody\r\n").encode()
        self.mailbox.append("Sent" if sent else "INBOX", [raw], when=[when])

    def sent_view(self) -> list[str]:
        with self.mailbox.client() as c:
            c.select_folder("Sent", readonly=True)
            found = c.fetch(c.search("ALL"), ["BODY.PEEK[HEADER.FIELDS (TO)]"])
        return [v[b"BODY[HEADER.FIELDS (TO)]"].decode().strip()[4:] for v in found.values()]

    def account(self) -> Any:
        return imap_account(self.mailbox)


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    folder = tmp_path_factory.mktemp("graph-commands")
    with pytest.MonkeyPatch.context() as patch, msfix.running_fake(folder, patch) as fake:
        msfix.sign_in(fake, folder / "state")
        yield fake, folder / "state"


@pytest.fixture(params=["gmail", "graph", "maildir", "mbox", "imap"])
def box(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "gmail":
        with FakeGoogle() as fake:
            yield Gmail(fake, tmp_path)
    elif request.param == "graph":
        yield Graph(*request.getfixturevalue("graph"))
    elif request.param == "maildir":
        yield Maildir(tmp_path)
    elif request.param == "mbox":
        yield Mbox(tmp_path)
    else:
        yield Imap(request.getfixturevalue("mailbox"), tmp_path)


def _entry(key: str, as_of: datetime) -> Entry:
    return Entry(key=key, name=NAMES[key], addresses=(key,), group="losing_touch", risk=0.8,
                 score=2.0, strength=1.0, rhythm_days=14.0, silence_days=40.0,
                 last_at=as_of - timedelta(days=40), last_direction="outbound",
                 last_channel="email", shape="mutual_fade", reason="It has been a while.")


def _scored(as_of: datetime) -> Scored:
    lose = (_entry(NORA, as_of), _entry(BOB, as_of))
    return Scored(as_of, lose, (), lose)


def _skips(store: Store) -> Counter[str]:
    with store.session() as s:
        return sum((Counter(json.loads(x)) for x in s.execute(select(Stream.skipped)).scalars()),
                   Counter())


def _ledger(store: Store) -> list[tuple[str, str, str]]:
    with store.session() as s:
        return sorted((r.command, r.contact, r.target) for r in s.execute(
            select(MailedCommand)).scalars())


def test_actions_mailed_to_yourself_are_carried_out_once(box: Any, store: Store) -> None:
    config = Config(me=MeSettings(addresses=(box.me,)), accounts=(box.account(),))
    t0 = box.now
    for who in (NORA, BOB):  # a history, so both are contacts
        box.put(who, box.me, t0 - timedelta(days=40), f"<in-{who}>", sent=False)
        box.put(box.me, who, t0 - timedelta(days=39), f"<out-{who}>", sent=True)
    box.engine(store, config).sync()

    summary = build_summary(store, config, t0, scored=_scored(t0), state_dir=box.state)
    text, html = render_text(summary), render_html(summary)
    data = json.loads(render_json(summary))
    actions = {(e.key, a.command): a for e in summary.losing_touch for a in e.actions}
    assert set(actions) == {(k, c) for k in (NORA, BOB) for c in commands.COMMANDS}
    for a in actions.values():
        assert a.url in text and a.url.replace("&", "&amp;") in html
        assert unquote(a.url).startswith(f"mailto:{a.address}?subject=Keepwarm: ")
    assert data["losing_touch"][0]["actions"][0]["url"] == summary.losing_touch[0].actions[0].url

    def addr(key: str, command: str) -> str:
        return actions[(key, command)].address

    key = commands.secret(box.state)
    old = commands.week_of((t0 - timedelta(weeks=10)).date())
    expired = commands.address(box.me, "ignoreperson",
                               commands.token(key, "ignoreperson", NORA, old))
    forged = commands.address(box.me, "ignoreperson",  # Nora's reference, a made-up MAC
                              commands.ref(key, NORA) + "a" * commands.MAC_LENGTH)
    day = t0 + timedelta(days=1)
    box.put(box.me, addr(NORA, "snooze4w"), day, "<c1@me>", sent=True)
    box.put(box.me, addr(BOB, "ignoredomain"), day + timedelta(hours=1), "<c2@me>", sent=True)
    box.put(box.me, forged, day + timedelta(hours=2), "<c3@me>", sent=True)
    box.put(box.me, expired, day + timedelta(hours=3), "<c4@me>", sent=True)
    box.put(EVE, addr(BOB, "ignoreperson"), day + timedelta(hours=4), "<e1@evil>", sent=False)
    assert addr(NORA, "snooze4w") in box.sent_view()  # sending it put it in the Sent view

    box.now = t0 + timedelta(days=2)
    box.engine(store, config).sync()
    assert _ledger(store) == [("ignoredomain", BOB, "acme.example"),
                              ("snooze4w", NORA, NORA)]
    with store.session() as s:
        snoozed = dict(s.execute(select(Snooze.address, Snooze.until)).all())
        tagged = [a for a in s.execute(select(Contact.address)).scalars() if "+" in a]
    assert snoozed == {NORA: day + timedelta(weeks=4)}
    assert ignores.values(store) == ((), ("acme.example",))
    assert tagged == [] and EVE not in _contacts(store)
    skips = _skips(store)
    assert (skips["forged_command"], skips["expired_command"], skips["foreign_command"]) == (
        1, 1, 1)

    box.put(box.me, addr(NORA, "snooze4w"), t0 + timedelta(days=3), "<c5@me>", sent=True)
    box.now = t0 + timedelta(days=4)
    box.engine(store, config).sync()  # a second message with the same token: a replay
    assert _skips(store)["replayed_command"] == 1
    with store.engine.begin() as conn:  # a full resync reads every command again
        conn.execute(update(Stream).values(cursor=None))
    box.engine(store, config).sync()
    assert _ledger(store) == [("ignoredomain", BOB, "acme.example"),
                              ("snooze4w", NORA, NORA)]
    with store.session() as s:
        assert dict(s.execute(select(Snooze.address, Snooze.until)).all()) == snoozed

    later = t0 + timedelta(days=7)
    after = build_summary(store, config, later, scored=_scored(later), state_dir=box.state)
    until, sent = (day + timedelta(weeks=4)).strftime("%-d %b"), day.strftime("%-d %b")
    said = [c.text for c in after.done]
    assert said == [f"Snoozed Nora Petrova until {until}, from your message of {sent}.",
                    f"Ignoring acme.example from now on, from your message of {sent}."]
    assert after.losing_touch == ()  # both hidden now
    assert said[0] in render_text(after) and said[1] in render_html(after)
    assert json.loads(render_json(after))["done_by_mail"][0]["undo"] == f"keepwarm unsnooze {NORA}"


def _contacts(store: Store) -> set[str]:
    with store.session() as s:
        return set(s.execute(select(Contact.address)).scalars())
