"""Write one page's meanings, deletions and cursor into the store, idempotently.

Everything here runs inside the caller's transaction: rows and cursor commit together or not
at all. Re-writing a page already written changes nothing (natural unique keys + upserts).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, exists, select
from sqlalchemy.orm import Session

from daemon.store.models import Account, Contact, Item, ItemSource, Touchpoint
from daemon.sync.bulk import Memo
from daemon.sync.bulk import chunks as _chunks
from daemon.sync.bulk import executemany as _executemany
from daemon.sync.bulk import insert_sql as _insert_sql
from daemon.sync.bulk import select as _select
from daemon.sync.fitting import SOURCE_ID, fit, fitted
from daemon.sync.meaning import Meaning


def write_page(
    session: Session, account_id: int, items: list[tuple[str, Meaning]], gone: Iterable[str],
    *, stream_id: int | None = None, listing_round: int = 0,
) -> int:
    """Store ``(source_id, meaning)`` pairs and drop the ``gone`` source ids; return the number
    of touchpoints written (inserted or refreshed). Each source id is claimed for
    ``stream_id``, marked with its listing round (see ``daemon.sync.listing``). Items,
    contacts and touchpoints are the account's member's: the same message in two members'
    mailboxes is two items, never one shared."""
    forget(session, account_id, [fit(g, SOURCE_ID) for g in gone])
    if not items:
        return 0
    member = owner(session, account_id)
    items = [(fit(sid, SOURCE_ID), fitted(m)) for sid, m in items]
    memo: Memo = {}  # each time converted once for items, contacts and touchpoints
    item_ids, existing = _upsert_items(session, member, [m for _, m in items], memo)
    before = _claims(session, account_id, [sid for sid, _ in items])
    _executemany(session, _SOURCES_SQL, _SOURCES, _SOURCES_COLS,
                 [(account_id, sid, item_ids[m.identity], stream_id, listing_round)
                  for sid, m in items])
    # A source id that now names another item (an mbox offset after a rewrite) left its old
    # item behind: drop it when nothing else claims it.
    _drop_orphans(session, {before[sid] for sid, m in items
                            if sid in before and before[sid] != item_ids[m.identity]})
    contact_ids = _upsert_contacts(session, member, [m for _, m in items], memo)
    tps: dict[tuple[int, int], tuple[Any, ...]] = {}
    for _, m in items:
        item_id, group_size = item_ids[m.identity], m.group_size
        for c in m.counterparts:
            key = (item_id, contact_ids[c.address])
            tps[key] = (member, item_id, key[1], account_id, m.at, m.channel, c.direction,
                        group_size, m.bulk, m.listed, c.direct, m.thread_key)
    _executemany(session, _TOUCHPOINTS_SQL, _TOUCHPOINTS, _TOUCHPOINTS_COLS, list(tps.values()),
                 memo)
    _drop_stale(session, existing, set(tps))
    return len(tps)


def owner(session: Session, account_id: int) -> int:
    """The id of the member whose account ``account_id`` is."""
    return session.execute(select(Account.member_id).where(
        Account.id == account_id)).scalar_one()


def _drop_stale(session: Session, item_ids: set[int], kept: set[tuple[int, int]]) -> None:
    """Delete the touchpoints of ``item_ids`` (items stored before this page) whose
    counterpart is no longer on them: a message edited or moved into another folder (inbound
    turned outbound) must not keep who it meant before."""
    stale = [tid for tid, item, contact in _select(
        session, "SELECT id, item_id, contact_id FROM touchpoints WHERE item_id IN ({keys})",
        (), sorted(item_ids)) if (item, contact) not in kept]
    for chunk in _chunks(stale):
        session.execute(delete(Touchpoint).where(Touchpoint.id.in_(chunk)))


_SOURCES: Table = ItemSource.__table__  # type: ignore[assignment]
_SOURCES_COLS = ("account_id", "source_id", "item_id", "stream_id", "listing_round")
_SOURCES_SQL = _insert_sql(_SOURCES, _SOURCES_COLS, "ON CONFLICT (account_id, source_id) "
                           "DO UPDATE SET item_id = excluded.item_id, stream_id = "
                           "excluded.stream_id, listing_round = excluded.listing_round")
_TOUCHPOINTS: Table = Touchpoint.__table__  # type: ignore[assignment]
_TOUCHPOINTS_COLS = ("member_id", "item_id", "contact_id", "account_id", "at", "channel",
                     "direction", "group_size", "bulk", "listed", "direct", "thread_key")
_TOUCHPOINTS_SQL = _insert_sql(
    _TOUCHPOINTS, _TOUCHPOINTS_COLS, "ON CONFLICT (item_id, contact_id) DO UPDATE SET "
    "at = excluded.at, group_size = excluded.group_size, direct = excluded.direct, "
    "direction = excluded.direction, bulk = excluded.bulk, listed = excluded.listed, "
    "thread_key = excluded.thread_key")
_ITEMS: Table = Item.__table__  # type: ignore[assignment]
_ITEMS_COLS = ("member_id", "identity", "fingerprint", "channel", "at")
_ITEMS_SQL = _insert_sql(_ITEMS, _ITEMS_COLS, "ON CONFLICT (member_id, identity) DO NOTHING")
_CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
_CONTACTS_COLS = ("member_id", "address", "display_name", "first_seen", "last_seen")
_CONTACTS_SQL = _insert_sql(_CONTACTS, _CONTACTS_COLS,
                            "ON CONFLICT (member_id, address) DO NOTHING")
_CONTACT_UPDATE_COLS = ("display_name", "first_seen", "last_seen", "id")
_CONTACT_UPDATE_SQL = ("UPDATE contacts SET display_name = ?, first_seen = ?, last_seen = ? "
                       "WHERE id = ?")


# The fingerprint index, never the member's: without statistics SQLite took the unique
# (member_id, identity) index for "member_id = ?", which names every item of a one-member
# store, so each page scanned them all (a 1,000,000-message import slowed as it went, 0.06 s
# per lookup at 100,000 items against 0.002 s). The unary + keeps member_id out of the index
# choice (SQLite's documented idiom; on PostgreSQL it is the identity operator).
BY_FINGERPRINT_SQL = ("SELECT fingerprint, id FROM items WHERE +member_id = ? AND fingerprint "
                      "IN ({keys})")


def _upsert_items(session: Session, member: int, meanings: list[Meaning], memo: Memo
                  ) -> tuple[dict[str, int], set[int]]:
    """(item id per identity, ids of the items stored before), among ``member``'s items; a
    copy with another Message-ID but the same fingerprint joins the item already stored."""
    unique = {m.identity: m for m in meanings}
    ids = _item_ids(session, member, list(unique))
    missing = [unique[i] for i in unique if i not in ids]
    prints = [m.fingerprint for m in missing if m.fingerprint]
    by_print: dict[str, int] = dict(_select(  # type: ignore[arg-type]
        session, BY_FINGERPRINT_SQL, (member,), prints))
    new: list[tuple[int, str, str | None, Any, datetime]] = []
    first: dict[str, str] = {}  # fingerprint -> identity of the first new item with it here
    copies: list[tuple[str, str]] = []  # (identity, identity of the new item it copies)
    for m in missing:
        fp = m.fingerprint
        if fp and fp in by_print:
            ids[m.identity] = by_print[fp]
        elif fp and fp in first:
            copies.append((m.identity, first[fp]))
        else:
            new.append((member, m.identity, fp, m.channel, m.at))
            if fp:
                first[fp] = m.identity
    existing = set(ids.values())
    if new:
        _executemany(session, _ITEMS_SQL, _ITEMS, _ITEMS_COLS, new, memo)
        ids.update(_item_ids(session, member, [r[1] for r in new]))
    for identity, original in copies:
        ids[identity] = ids[original]
    return ids, existing


def _item_ids(session: Session, member: int, identities: list[str]) -> dict[str, int]:
    """Item id per identity, for those of ``identities`` that ``member`` holds."""
    return dict(_select(session, "SELECT identity, id FROM items WHERE member_id = ? AND "  # type: ignore[arg-type]
                        "identity IN ({keys})", (member,), identities))


def _upsert_contacts(session: Session, member: int, meanings: list[Meaning], memo: Memo
                     ) -> dict[str, int]:
    """Contact id per address among ``member``'s contacts, keeping first/last seen and the
    best display name current."""
    seen: dict[str, list[Any]] = {}  # address -> [name, first, last]
    for m in meanings:
        for c in m.counterparts:
            entry = seen.setdefault(c.address, [c.name, m.at, m.at])
            entry[0] = entry[0] or c.name
            entry[1], entry[2] = min(entry[1], m.at), max(entry[2], m.at)
    _executemany(session, _CONTACTS_SQL, _CONTACTS, _CONTACTS_COLS,
                 [(member, a, v[0], v[1], v[2]) for a, v in seen.items()], memo)
    ids: dict[str, int] = {}
    changes = []
    for cid, addr, name, first, last in _select(
            session, "SELECT id, address, display_name, first_seen, last_seen FROM contacts "
            "WHERE member_id = ? AND address IN ({keys})", (member,), list(seen),
            _CONTACTS, ("id", "address", "display_name", "first_seen", "last_seen")):
        ids[addr] = cid
        want = _merged(seen[addr], name, first, last)
        if want != (name, first, last):
            changes.append((want[0], want[1], want[2], cid))
    _executemany(session, _CONTACT_UPDATE_SQL, _CONTACTS, _CONTACT_UPDATE_COLS, changes, memo)
    return ids


def _merged(new: list[Any], name: str, first: datetime | None,
            last: datetime | None) -> tuple[str, datetime, datetime]:
    return (name or new[0], min(first or new[1], new[1]), max(last or new[2], new[2]))


def forget(session: Session, account_id: int, source_ids: list[str]) -> None:
    """Drop this account's claim on ``source_ids``; items no account still claims go, with
    their touchpoints."""
    for chunk in _chunks(source_ids):
        item_ids = [r[0] for r in _select(
            session, "SELECT item_id FROM item_sources WHERE account_id = ? AND source_id "
            "IN ({keys})", (account_id,), chunk)]
        if not item_ids:
            continue
        session.execute(delete(ItemSource).where(
            ItemSource.account_id == account_id, ItemSource.source_id.in_(chunk)))
        _drop_orphans(session, set(item_ids))


def _claims(session: Session, account_id: int, source_ids: list[str]) -> dict[str, int]:
    """The item each of ``source_ids`` names in the store now, for those stored."""
    return dict(_select(session, "SELECT source_id, item_id FROM item_sources WHERE "  # type: ignore[arg-type]
                        "account_id = ? AND source_id IN ({keys})", (account_id,), source_ids))


def _drop_orphans(session: Session, item_ids: set[int]) -> None:
    """Delete those of ``item_ids`` that no account claims any more, with their touchpoints."""
    orphan = ~exists().where(ItemSource.item_id == Item.id)
    for chunk in _chunks(sorted(item_ids)):
        session.execute(delete(Touchpoint).where(Touchpoint.item_id.in_(
            select(Item.id).where(Item.id.in_(chunk), orphan))))
        session.execute(delete(Item).where(Item.id.in_(chunk), orphan))
