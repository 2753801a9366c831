"""Write one page's meanings, deletions and cursor into the store, idempotently.

Everything here runs inside the caller's transaction: rows and cursor commit together or not
at all. Re-writing a page already written changes nothing (natural unique keys + upserts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from daemon.store.models import Contact, Item, ItemSource, Touchpoint
from daemon.sync.meaning import Meaning

CHUNK = 500  # stays below SQLite's bound-parameter limit per statement


def _insert(session: Session, model: Any) -> Any:
    """The dialect's INSERT (which has ``on_conflict_do_nothing``/``_update``) on the model's
    table: Core executemany, several times faster than the ORM's bulk path."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model.__table__)


def _chunks(seq: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def write_page(
    session: Session, account_id: int, items: list[tuple[str, Meaning]], gone: Iterable[str]
) -> int:
    """Store ``(source_id, meaning)`` pairs and drop the ``gone`` source ids; return the number
    of touchpoints written (inserted or refreshed)."""
    forget(session, account_id, list(gone))
    if not items:
        return 0
    item_ids = _upsert_items(session, [m for _, m in items])
    rows = [{"account_id": account_id, "source_id": sid, "item_id": item_ids[m.identity]}
            for sid, m in items]
    stmt = _insert(session, ItemSource)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["account_id", "source_id"], set_={"item_id": stmt.excluded.item_id}), rows)
    contact_ids = _upsert_contacts(session, [m for _, m in items])
    tps = {}
    for _, m in items:
        for c in m.counterparts:
            key = (item_ids[m.identity], contact_ids[c.address])
            tps[key] = {"item_id": key[0], "contact_id": key[1], "account_id": account_id,
                        "at": m.at, "channel": m.channel, "direction": c.direction,
                        "group_size": m.group_size, "bulk": m.bulk, "listed": m.listed,
                        "direct": c.direct, "thread_key": m.thread_key}
    stmt = _insert(session, Touchpoint)
    refreshed = {k: stmt.excluded[k] for k in ("at", "group_size", "direct")}
    for chunk in _chunks(list(tps.values())):
        session.execute(stmt.on_conflict_do_update(
            index_elements=["item_id", "contact_id"], set_=refreshed), chunk)
    return len(tps)


def _upsert_items(session: Session, meanings: list[Meaning]) -> dict[str, int]:
    """Item id per identity; a copy with another Message-ID but the same fingerprint joins
    the item already stored."""
    unique = {m.identity: m for m in meanings}
    ids: dict[str, int] = {}
    for chunk in _chunks(list(unique)):
        ids.update(session.execute(
            select(Item.identity, Item.id).where(Item.identity.in_(chunk))).all())
    missing = [unique[i] for i in unique if i not in ids]
    prints = [m.fingerprint for m in missing if m.fingerprint]
    by_print: dict[str, int] = {}
    for chunk in _chunks(prints):
        by_print.update(session.execute(select(Item.fingerprint, Item.id).where(
            Item.fingerprint.in_(chunk))).all())  # type: ignore[arg-type]
    new: list[dict[str, Any]] = []
    first: dict[str, str] = {}  # fingerprint -> identity of the first new item with it here
    copies: list[tuple[str, str]] = []  # (identity, identity of the new item it copies)
    for m in missing:
        fp = m.fingerprint
        if fp and fp in by_print:
            ids[m.identity] = by_print[fp]
        elif fp and fp in first:
            copies.append((m.identity, first[fp]))
        else:
            new.append({"identity": m.identity, "fingerprint": fp, "channel": m.channel,
                        "at": m.at})
            if fp:
                first[fp] = m.identity
    if new:
        session.execute(_insert(session, Item).on_conflict_do_nothing(), new)
        for chunk in _chunks([r["identity"] for r in new]):
            ids.update(session.execute(
                select(Item.identity, Item.id).where(Item.identity.in_(chunk))).all())
    for identity, original in copies:
        ids[identity] = ids[original]
    return ids


def _upsert_contacts(session: Session, meanings: list[Meaning]) -> dict[str, int]:
    """Contact id per address, keeping first/last seen and the best display name current."""
    seen: dict[str, list[Any]] = {}  # address -> [name, first, last]
    for m in meanings:
        for c in m.counterparts:
            entry = seen.setdefault(c.address, [c.name, m.at, m.at])
            entry[0] = entry[0] or c.name
            entry[1], entry[2] = min(entry[1], m.at), max(entry[2], m.at)
    rows = [{"address": a, "display_name": v[0], "first_seen": v[1], "last_seen": v[2]}
            for a, v in seen.items()]
    for chunk in _chunks(rows):
        session.execute(_insert(session, Contact).on_conflict_do_nothing(), chunk)
    ids: dict[str, int] = {}
    changes = []
    for chunk in _chunks(list(seen)):
        for cid, addr, name, first, last in session.execute(select(
                Contact.id, Contact.address, Contact.display_name, Contact.first_seen,
                Contact.last_seen).where(Contact.address.in_(chunk))):
            ids[addr] = cid
            want = _merged(seen[addr], name, first, last)
            if want != (name, first, last):
                changes.append({"id": cid, "display_name": want[0], "first_seen": want[1],
                                "last_seen": want[2]})
    if changes:
        session.execute(update(Contact), changes)
    return ids


def _merged(new: list[Any], name: str, first: datetime | None,
            last: datetime | None) -> tuple[str, datetime, datetime]:
    return (name or new[0], min(first or new[1], new[1]), max(last or new[2], new[2]))


def forget(session: Session, account_id: int, source_ids: list[str]) -> None:
    """Drop this account's claim on ``source_ids``; items no account still claims go, with
    their touchpoints."""
    for chunk in _chunks(source_ids):
        item_ids = session.execute(select(ItemSource.item_id).where(
            ItemSource.account_id == account_id, ItemSource.source_id.in_(chunk))).scalars().all()
        if not item_ids:
            continue
        session.execute(delete(ItemSource).where(
            ItemSource.account_id == account_id, ItemSource.source_id.in_(chunk)))
        orphan = ~exists().where(ItemSource.item_id == Item.id)
        session.execute(delete(Touchpoint).where(Touchpoint.item_id.in_(
            select(Item.id).where(Item.id.in_(item_ids), orphan))))
        session.execute(delete(Item).where(Item.id.in_(item_ids), orphan))
