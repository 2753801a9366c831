"""Members (issue 15): one store holds many members, and a member never sees another's rows.

Two members sync mailboxes of the same content (each their own copy) into one store through
the real maildir connector and the engine, each through ``store.scoped(name)``: each member's
frame equals what a store of their own gets from that mailbox alone; a snooze, an ignore, a
mailed command and a sent-summary row of one member never show for the other; a message
deleted from one member's mailbox leaves the other's item; the light path reads the member's
own rows. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.base import Env
from connectors.settings import MaildirAccount
from daemon.config import Config, MeSettings
from daemon.model.entries import Scored
from daemon.model.frame import Frame
from daemon.model.load import load
from daemon.store import Store, ignores, mailed, sent, snoozes
from daemon.store.contacts import contact_rows
from daemon.store.light import open_light
from daemon.store.models import Item
from daemon.summary import claims
from daemon.summary.gather import build_summary
from daemon.sync import commands
from daemon.sync.engine import Engine

ME = "me@example.com"
NORA, BOB, EVE = "nora@wingtip.example", "bob@acme.example", "eve@else.example"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MEMBERS = ("alice", "carol")


def _put(root: Path, name: str, frm: str, to: str, when: datetime, mid: str,
         reply_to: str | None = None, cc: str | None = None) -> Path:
    where = root / "cur" / f"{name}.kw:2,S"
    where.parent.mkdir(parents=True, exist_ok=True)
    headers = [f"From: {frm}", f"To: {to}", f"Message-ID: {mid}",
               f"Date: {format_datetime(when)}"]
    headers += [f"Cc: {cc}"] if cc else []
    headers += [f"In-Reply-To: {reply_to}", f"References: {reply_to}"] if reply_to else []
    where.write_text("\r\n".join(headers) + "\r\n\r\nbody\r\n")
    return where


def _mailbox(root: Path) -> Path:
    """A small history: two threads, a group message, a message from me."""
    for i, who in enumerate((NORA, BOB)):
        day = T0 - timedelta(days=60 - 10 * i)
        _put(root, f"in-{i}", f"Nora <{who}>" if who == NORA else who, ME, day, f"<in{i}@x>")
        _put(root, f"re-{i}", ME, who, day + timedelta(hours=5), f"<re{i}@me>", f"<in{i}@x>")
    _put(root, "group", NORA, f"{ME}, {BOB}", T0 - timedelta(days=20), "<g@x>", cc=EVE)
    _put(root, "late", ME, NORA, T0 - timedelta(days=3), "<late@me>")
    return root


def _config(member: str, root: Path) -> Config:
    return Config(me=MeSettings(addresses=(ME,)),
                  accounts=(MaildirAccount(name=f"{member}.md", kind="maildir", path=root),))


def _sync(store: Store, member: str, root: Path, state: Path, now: datetime = T0) -> None:
    view = store.scoped(member)
    results = Engine(view, _config(member, root), Env(state_dir=state, now=lambda: now)).sync()
    assert [r.status for r in results] == ["ok"]


def _canonical(frame: Frame) -> tuple[list[tuple[object, ...]], set[frozenset[object]]]:
    """The frame's rows as plain values, and its threads as sets of rows: equal for equal
    content, whatever the ids the store gave."""
    rows, threads = [], {}
    for i in range(len(frame)):
        row = (frame.address(i), int(frame.t[i]), int(frame.direction[i]),
               bool(frame.meeting[i]), int(frame.group[i]), bool(frame.noise[i]),
               bool(frame.direct[i]))
        rows.append(row)
        if int(frame.thread[i]) >= 0:
            threads.setdefault(int(frame.thread[i]), set()).add(row)
    names = sorted((p.key, p.name) for p in frame.persons)
    return sorted(rows) + [("persons", tuple(names))], {frozenset(t) for t in threads.values()}


def _alone(tmp_path: Path, root: Path, tag: str) -> Frame:
    """The frame a single-user store gets from ``root`` alone."""
    own = Store(f"sqlite:///{tmp_path / f'alone-{tag}.db'}")
    try:
        Engine(own, _config("me", root), Env(state_dir=tmp_path / "state",
                                             now=lambda: T0)).sync()
        return load(own)
    finally:
        own.dispose()


@pytest.fixture
def boxes(tmp_path: Path) -> dict[str, Path]:
    """Each member's own copy of the same mailbox; carol's holds one message more."""
    first = _mailbox(tmp_path / "alice")
    shutil.copytree(first, tmp_path / "carol")
    _put(tmp_path / "carol", "extra", EVE, ME, T0 - timedelta(days=2), "<extra@x>")
    return {"alice": first, "carol": tmp_path / "carol"}


def _items(store: Store, member: str) -> int:
    view = store.scoped(member)
    with view.session() as s:
        return s.execute(select(func.count()).select_from(Item).where(
            Item.member_id == view.member_id)).scalar_one()


def test_each_member_gets_what_their_mailbox_alone_gives(store: Store, tmp_path: Path,
                                                         boxes: dict[str, Path]) -> None:
    for member in MEMBERS:
        _sync(store, member, boxes[member], tmp_path / "state")
    _sync(store, "alice", boxes["alice"], tmp_path / "state")  # a resync changes nothing
    for member in MEMBERS:
        mine = load(store.scoped(member))
        assert _canonical(mine) == _canonical(_alone(tmp_path, boxes[member], member))
    assert EVE not in {r.address for r in contact_rows(store.scoped("alice"), now=T0)
                       if r.inbound}  # carol's extra message is hers only
    assert _items(store, "alice") == 6 and _items(store, "carol") == 7
    assert len(load(store)) == 0  # the default member synced nothing


def test_a_deleted_message_leaves_the_other_members_item(store: Store, tmp_path: Path,
                                                         boxes: dict[str, Path]) -> None:
    for member in MEMBERS:
        _sync(store, member, boxes[member], tmp_path / "state")
    (boxes["alice"] / "cur" / "late.kw:2,S").unlink()
    _sync(store, "alice", boxes["alice"], tmp_path / "state")
    assert _items(store, "alice") == 5 and _items(store, "carol") == 7
    assert _canonical(load(store.scoped("alice"))) == _canonical(
        _alone(tmp_path, boxes["alice"], "after"))


def test_snoozes_ignores_and_summaries_are_the_members_own(store: Store) -> None:
    alice, carol = store.scoped("alice"), store.scoped("carol")
    snoozes.add(alice, NORA, T0 + timedelta(weeks=4))
    snoozes.add(carol, BOB, None)
    assert snoozes.active(alice, T0) == {NORA: T0 + timedelta(weeks=4)}
    assert snoozes.active(carol, T0) == {BOB: None}
    assert not snoozes.remove(carol, NORA) and snoozes.active(alice, T0)
    with alice.transaction() as s:
        assert ignores.add(s, alice.member_id, "domain", "acme.example", T0)
    with carol.transaction() as s:  # the same ignore is carol's own, not a duplicate
        assert ignores.add(s, carol.member_id, "domain", "acme.example", T0)
    assert ignores.remove(carol, "acme.example") == ["domain"]
    assert ignores.values(alice) == ((), ("acme.example",)) and ignores.values(carol) == ((), ())
    assert claims.claim(alice, "2026-W10", "smtp", "<a@kw>", T0)
    assert sent.week(carol, "2026-W10") is None
    assert claims.claim(carol, "2026-W10", "smtp", "<c@kw>", T0)  # each member's own claim
    assert not claims.claim(alice, "2026-W10", "smtp", "<a2@kw>", T0)
    claims.settle(carol, "2026-W10", claims.DeliveryStatus.SENT, T0)
    alice_row, carol_row = sent.week(alice, "2026-W10"), sent.week(carol, "2026-W10")
    assert alice_row and carol_row and (alice_row.status, carol_row.status) == (
        "sending", "sent")
    assert alice_row.message_id == "<a@kw>"


def test_a_mailed_command_acts_for_its_member_only(store: Store, tmp_path: Path,
                                                   boxes: dict[str, Path]) -> None:
    state = tmp_path / "state"
    for member in MEMBERS:
        _sync(store, member, boxes[member], state)
    key = commands.secret(state, "alice")
    assert key != commands.secret(state, "carol") != commands.secret(state)
    tag = commands.token(key, "snooze4w", NORA, commands.week_of(T0.date()))
    day = T0 + timedelta(days=1)
    for member in MEMBERS:  # both mailboxes hold alice's command (the same content)
        _put(boxes[member], "cmd", ME, commands.address(ME, "snooze4w", tag), day, "<c1@me>")
        _sync(store, member, boxes[member], state, now=day + timedelta(hours=1))
    alice, carol = store.scoped("alice"), store.scoped("carol")
    assert snoozes.active(alice, day) == {NORA: day + timedelta(weeks=4)}
    assert snoozes.active(carol, day) == {}
    assert [d.command for d in mailed.done_between(alice, T0, day + timedelta(days=1))] == [
        "snooze4w"]
    assert mailed.done_between(carol, T0, day + timedelta(days=1)) == []


def test_the_light_path_reads_the_members_own_rows(store: Store, tmp_path: Path,
                                                   boxes: dict[str, Path]) -> None:
    if not store.sqlite:
        pytest.skip("the light path is SQLite's")
    for member in MEMBERS:
        _sync(store, member, boxes[member], tmp_path / "state")
    snoozes.add(store.scoped("carol"), EVE, None)
    light = open_light(store.url, "alice")
    assert light is not None
    assert light.member_id == store.scoped("alice").member_id
    assert snoozes.active(light, T0) == {}
    snoozes.add(light, NORA, None)
    assert snoozes.active(store.scoped("alice"), T0) == {NORA: None}
    assert snoozes.active(store.scoped("carol"), T0) == {EVE: None}
    mine = contact_rows(light, now=T0)
    assert mine == contact_rows(store.scoped("alice"), now=T0)
    assert mine != contact_rows(store.scoped("carol"), now=T0)  # carol's extra message


def test_the_frame_read_walks_the_member_index(store: Store) -> None:
    if not store.sqlite:
        pytest.skip("SQLite's query plan")
    from daemon.store import columns

    with store.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT t.id" + columns._MINE + " ORDER BY t.id",
            (store.member_id, 0)).all()
    assert "ix_touchpoints_member" in " ".join(str(r) for r in plan)


def test_each_summary_reads_its_members_threads_and_accounts(store: Store, tmp_path: Path,
                                                             boxes: dict[str, Path]) -> None:
    """The same thread in both mailboxes: carol answered Nora, alice did not. Alice still owes
    the reply (carol's answer is not hers), carol owes nothing; each summary's sync health
    names the member's own account."""
    for member in MEMBERS:
        _put(boxes[member], "ask", NORA, ME, T0 - timedelta(days=6), "<ask@x>")
    _put(boxes["carol"], "answer", ME, NORA, T0 - timedelta(days=5), "<answer@me>", "<ask@x>")
    for member in MEMBERS:
        _sync(store, member, boxes[member], tmp_path / "state")
    nobody = Scored(T0, (), (), ())
    alice = build_summary(store.scoped("alice"), _config("alice", boxes["alice"]), T0,
                          scored=nobody)
    carol = build_summary(store.scoped("carol"), _config("carol", boxes["carol"]), T0,
                          scored=nobody)
    asked = T0 - timedelta(days=6)
    assert [(o.address, o.messages) for o in alice.owed if o.last_at == asked] == [(NORA, 1)]
    assert [o for o in carol.owed if o.last_at == asked] == []
    assert len(alice.owed) == len(carol.owed) + 1  # the group thread both still owe
    assert [h.name for h in alice.health] == ["alice.md"]
    assert [h.name for h in carol.health] == ["carol.md"]
