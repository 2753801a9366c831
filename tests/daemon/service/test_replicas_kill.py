"""The proof of issue 15: three ``keepwarm run`` replicas on one PostgreSQL store serve a firm of
50 members; one is killed (-9) in the middle of a sync and one in the middle of sending a
summary. Afterwards every member's store equals what their maildir holds (a single-member
reference sync of the same maildir into an empty store), and every member received exactly one
summary for this ISO week, addressed to them.

The mid-sync kill lands on a replica's first ``synced stream`` line (it is then on its next
page or account). The mid-send kill is exact: the SMTP server holds the first summary that
arrives after the first kill, the test finds which replica holds that connection, kills it
and only then lets the server go on, treating the held message as never delivered (the
connection broke before the server's 250, so a sender cannot know it arrived): the week's
claim of that member must be taken over and sent again. The mid-sync replica is restarted (as
systemd would); the mid-send one stays dead, so its leases must be taken over by the others.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import defaultdict
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.base import Env
from connectors.settings import MaildirAccount
from daemon.config import Config, MeSettings
from daemon.store import Store
from daemon.store.models import Item, Member, SentSummary
from daemon.sync.engine import Engine

from fakes.smtp_server import smtp_server
from helpers.team import (
    WEEK_ID,
    Replica,
    address,
    children_of,
    iso_week,
    pid_of_peer,
    snapshot,
    team_config,
    wait_until,
    write_maildirs,
)

MEMBERS = [f"m{i:02d}" for i in range(50)]
LEASE_TTL = "15s"  # how long a killed replica's leases block the others (the least allowed)


class TeamInbox:
    """aiosmtpd handler: keeps each summary per recipient; once ``armed``, holds the first DATA
    until ``release`` and then drops it (the connection is gone: never delivered)."""

    def __init__(self) -> None:
        self.got: dict[str, list[Any]] = defaultdict(list)
        self.armed = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()
        self.held_peer: tuple[str, int] | None = None
        self.held_to: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            hold = self.armed.is_set() and not self.held.is_set()
            if hold:
                self.held_peer, self.held_to = session.peer, envelope.rcpt_tos[0]
                self.held.set()
        if hold:
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 connection lost before the reply"  # the client is dead by now
        msg = message_from_bytes(envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.got[rcpt.lower()].append(msg)
        return "250 Message accepted for delivery"


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)  # replicas need PostgreSQL
def test_three_replicas_killed_mid_sync_and_mid_send(tmp_path: Path, store: Store) -> None:
    pg_store = store
    boxes = write_maildirs(tmp_path / "mail", MEMBERS)
    refs = {m: _reference(tmp_path, m, boxes[m]) for m in MEMBERS}
    expected = {m: n for m, (_, n) in refs.items()}
    inbox = TeamInbox()
    replicas: list[Replica] = []
    killed: dict[str, Replica] = {}
    first_sync = threading.Lock()

    def on_line(replica: Replica, line: str) -> None:
        if "synced stream" in line and "sync" not in killed and first_sync.acquire(False):
            replica.kill()  # from its own reader thread: at once, mid-sync
            killed["sync"] = replica
            inbox.armed.set()

    with smtp_server(inbox) as port:  # type: ignore[arg-type]
        config = team_config(tmp_path / "team.toml", pg_store.url, boxes, smtp_port=port,
                             lease_ttl=LEASE_TTL)

        def start(name: str) -> Replica:
            env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / name)}
            replica = Replica(name, config, env, on_line)
            replicas.append(replica)
            return replica

        for name in ("r1", "r2", "r3"):
            start(name)
        logs = lambda: "\n".join(r.log() for r in replicas)  # noqa: E731

        wait_until(lambda: "sync" in killed, 120, lambda: "no 'synced stream' line\n" + logs(),
                   replicas)
        wait_until(inbox.held.is_set, 120, lambda: "no summary sent after the kill\n" + logs(),
                   replicas)
        assert inbox.held_peer is not None
        # the connection is held by the child process doing the replica's send
        live = {c: r for r in replicas if r.proc.poll() is None
                for c in [r.pid, *children_of(r.pid)]}
        sender = pid_of_peer(inbox.held_peer[1], port, list(live))
        assert sender is not None, f"no live replica holds the SMTP connection {inbox.held_peer}"
        killed["send"] = live[sender]
        killed["send"].kill()  # mid-send: DATA is in, the reply is not out
        inbox.release.set()
        start(killed["sync"].name + "-restarted")  # the one killed mid-sync comes back

        def done() -> bool:
            with inbox.lock:
                if any(not inbox.got.get(address(m)) for m in MEMBERS):
                    return False
            return _items(pg_store) == expected and _all_sent(pg_store)

        wait_until(done, 240, lambda: _progress(pg_store, inbox, expected) + "\n" + logs(),
                   replicas)
        for replica in replicas:
            if replica.proc.poll() is None:
                assert replica.stop() == 0, replica.log()

    assert inbox.held_to is not None
    week = iso_week()
    for member in MEMBERS:
        assert snapshot(pg_store, member) == refs[member][0], member
        got = inbox.got[address(member)]
        ids = {str(m["Message-ID"]) for m in got}
        assert len(ids) == 1 and len(got) == 1, (member, [str(m["Message-ID"]) for m in got])
        assert [m["To"] for m in got] == [address(member)]  # theirs, nobody else's
        found = WEEK_ID.match(ids.pop())
        assert found is not None and found.group(1) == week
    assert sum(len(v) for v in inbox.got.values()) == len(MEMBERS)  # nobody else got mail


def _reference(tmp_path: Path, member: str, box: Path) -> tuple[Any, int]:
    """The same maildir synced alone, by one process, into an empty SQLite store: its
    snapshot and its item count."""
    store = Store(f"sqlite:///{tmp_path / f'ref-{member}.db'}")
    config = Config(me=MeSettings(addresses=(address(member),)),
                    accounts=(MaildirAccount(name="mail", kind="maildir", path=box),))
    try:
        Engine(store, config, Env(tmp_path / "ref-state")).sync()
        ref, items = snapshot(store, store.member), _items(store)[store.member]
    finally:
        store.dispose()
    assert ref[0] and ref[1], member  # a reference that holds nothing would prove nothing
    return ref, items


def _items(store: Store) -> dict[str, int]:
    """Items per member."""
    with store.session() as s:
        rows = s.execute(select(Member.name, func.count(Item.id)).join(
            Item, Item.member_id == Member.id).group_by(Member.name)).all()
    return {name: n for name, n in rows}


def _all_sent(store: Store) -> bool:
    """Every member's row of this week's summary says sent."""
    with store.session() as s:
        rows = s.execute(select(SentSummary.status).where(
            SentSummary.iso_week == iso_week())).scalars().all()
    return len(rows) == len(MEMBERS) and all(str(r) == "sent" for r in rows)


def _progress(store: Store, inbox: TeamInbox, expected: dict[str, int]) -> str:
    items = _items(store)
    behind = {m: (items.get(m, 0), n) for m, n in expected.items() if items.get(m) != n}
    with store.session() as s:
        ledger = s.execute(select(Member.name, SentSummary.status).join(
            Member, Member.id == SentSummary.member_id)).all()
    unsent = [m for m in MEMBERS if not inbox.got.get(address(m))]
    return (f"items behind (have, want): {behind}\nnot received: {unsent}\n"
            f"ledger: {sorted((m, str(st)) for m, st in ledger if str(st) != 'sent')}")
