"""Every touchpoint as columns: the one bulk read behind the scoring model's frame.

Rows come in id order; times are whole UTC seconds (floored on every dialect), a direction is
its code (its position in :class:`~daemon.store.vocab.Direction`) and a thread is a code: -1
for none, else numbered from 1 in order of its first touchpoint.

Read through the driver itself (at a million rows any per-row object of the ORM would
dominate): on SQLite a ``fetchall`` of three integers per row (the small columns packed beside
the contact id) and one of the thread keys, both in rowid order; on PostgreSQL one scan
aggregating the numbers into a single binary value read straight into numpy, beside an array of
the thread keys. Both read one member's touchpoints only, walking the index on
``(member_id, id)`` (``ix_touchpoints_member``): already in id order, with no sort.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from daemon.store import column_cache
from daemon.store.db import Store
from daemon.store.vocab import Channel, Direction

DIRECTION_NAMES = tuple(Direction)  # direction code -> direction
OUT, IN, MUTUAL = (DIRECTION_NAMES.index(d)
                   for d in (Direction.OUTBOUND, Direction.INBOUND, Direction.MUTUAL))


@dataclass(frozen=True)
class TouchpointColumns:
    """One entry per touchpoint in every column; ``contacts`` maps the contact ids."""

    contacts: list[tuple[int, str, str]]  # (contact id, address, display name)
    contact: np.ndarray  # int64 contact id
    t: np.ndarray  # int64 UTC seconds
    direction: np.ndarray  # int8 direction code
    meeting: np.ndarray  # bool: channel is meeting
    group: np.ndarray  # int32 counterparts on the item
    noise: np.ndarray  # bool: bulk/automated or list traffic
    direct: np.ndarray  # bool: the user was a direct (To:) party
    thread: np.ndarray  # int64 thread code, -1 when unknown
    bulk: np.ndarray  # bool: bulk or automated headers (lists aside)
    # the thread key of code k at k - 1, read in the same snapshot (when asked for: keys=True)
    thread_keys: list[str] | None = None


def _epoch_sql(dialect: str) -> str:
    if dialect == "sqlite":
        if sqlite3.sqlite_version_info >= (3, 38):  # unixepoch(): twice as fast as strftime
            # a floor at any date (it divides julian-day milliseconds, all positive); the
            # substr() the first version cut the fraction with cost as much as the rest of the row
            return "unixepoch(t.at)"
        return "CAST(strftime('%s', t.at) AS INTEGER)"
    return "CAST(FLOOR(EXTRACT(EPOCH FROM t.at)) AS BIGINT)"  # a plain cast rounds


# The small columns packed beside the contact id (fewer numbers to fetch):
# bits 0-1 direction, bit 2 meeting, bit 3 bulk or listed, bit 4 direct, bit 5 bulk,
# bits 6+ contact id.
_PACKED = (f"(CASE t.direction WHEN '{Direction.OUTBOUND}' THEN {OUT}"
           f" WHEN '{Direction.MUTUAL}' THEN {MUTUAL} ELSE {IN} END)"
           f" + (CASE WHEN t.channel = '{Channel.MEETING}' THEN 4 ELSE 0 END)"
           " + (CASE WHEN t.bulk OR t.listed THEN 8 ELSE 0 END)"
           " + (CASE WHEN t.direct THEN 16 ELSE 0 END)"
           " + (CASE WHEN t.bulk THEN 32 ELSE 0 END)"
           " + CAST(t.contact_id AS BIGINT) * 64")


def _codes(keys: list[Any], none: Any, known: dict[Any, int] | None = None) -> np.ndarray:
    """Thread codes of the keys in row order: -1 for ``none``, else numbered in order of first
    appearance, after those ``known`` (key -> code, from 1; extended here)."""
    codes: dict[Any, int] = known if known is not None else {}
    codes[none] = -1
    for k in dict.fromkeys(keys):  # the distinct keys in order, found in C: no loop per row
        codes.setdefault(k, len(codes))
    return np.fromiter(map(codes.__getitem__, keys), np.int64, len(keys))


_SEP = "\x1f"  # no stored thread key holds a control character (see sync.meaning.key)
_SQLITE_CHUNK = 4_000_000  # ids per joined string: ~80 MB, far below SQLite's 1e9 limit


_MINE = " FROM touchpoints t WHERE t.member_id = ? AND t.id > ?"  # by ix_touchpoints_member
_RANGE = "SELECT min(id), max(id) FROM touchpoints WHERE member_id = {0} AND id > {0}"


def _sqlite_keys(cur: Any, member: int, after: int) -> list[Any]:
    """The thread keys in id order, '' for none: joined by SQLite into one string per id
    range and split here (a string per row through the driver costs twice as much)."""
    cur.execute(_RANGE.format("?"), (member, after))
    low, high = cur.fetchone()
    keys: list[Any] = []
    for start in range(low or 0, (high or -1) + 1, _SQLITE_CHUNK):
        cur.execute("SELECT group_concat(coalesce(k, ''), char(31)), count(*) FROM"
                    f" (SELECT t.thread_key AS k{_MINE} AND t.id >= ? AND t.id < ?"
                    "  ORDER BY t.id)", (member, after, start, start + _SQLITE_CHUNK))
        joined, n = cur.fetchone()
        part = joined.split(_SEP) if n else []
        if len(part) != n:  # a key holding the separator after all: read row by row
            cur.execute(f"SELECT coalesce(t.thread_key, ''){_MINE} ORDER BY t.id",
                        (member, after))
            return [k for (k,) in cur.fetchall()]
        keys += part
    return keys


def _sqlite(cur: Any, member: int, after: int) -> tuple[np.ndarray, list[Any]]:
    cur.execute(f"SELECT {_epoch_sql('sqlite')}, {_PACKED}, t.group_size{_MINE}"
                " ORDER BY t.id", (member, after))  # the index's order: no sort
    rows = cur.fetchall()  # the rows' numbers flattened in C, not converted tuple by tuple
    nums = np.fromiter(chain.from_iterable(rows), np.int64, 3 * len(rows)).reshape(-1, 3).T
    del rows
    return nums, _sqlite_keys(cur, member, after)


# PostgreSQL: one row holding every touchpoint, aggregated unordered in a single scan (both
# aggregates see the rows in the same order), put in id order here. Per touchpoint 28 bytes:
# id, timestamp (microseconds since 2000-01-01), packed and group size, big-endian.
_PG_ROW = np.dtype([("id", ">i8"), ("us", ">i8"), ("packed", ">i8"), ("group", ">i4")])
_PG_EPOCH = 946_684_800  # 2000-01-01 in UTC seconds


_PG_CHUNK = 4_000_000  # ids per aggregate: 112 MB of bytea, far below its 1 GB limit


def _postgresql(cur: Any, member: int, after: int) -> tuple[np.ndarray, list[Any]]:
    cur.execute(_RANGE.format("%s"), (member, after))
    low, high = cur.fetchone()
    blobs: list[bytes] = []
    keys: list[Any] = []
    for start in range(low or 0, (high or -1) + 1, _PG_CHUNK):
        cur.execute("SELECT string_agg(int8send(t.id) || timestamp_send(t.at)"
                    f" || int8send(CAST({_PACKED} AS BIGINT)) || int4send(t.group_size),"
                    " ''::bytea), array_agg(t.thread_key) FROM touchpoints t"
                    " WHERE t.member_id = %s AND t.id > %s AND t.id >= %s AND t.id < %s",
                    (member, after, start, start + _PG_CHUNK))
        blob, chunk_keys = cur.fetchone()
        blobs.append(blob or b"")
        keys += chunk_keys or []
    rows = np.frombuffer(b"".join(blobs), dtype=_PG_ROW)
    if rows.size > 1 and not bool(np.all(rows["id"][1:] > rows["id"][:-1])):
        order = np.argsort(rows["id"], kind="stable")
        rows, keys = rows[order], [keys[i] for i in order.tolist()]
    nums = np.array((rows["us"] // 1_000_000 + _PG_EPOCH, rows["packed"], rows["group"]),
                    dtype=np.int64)  # floor division: whole seconds floored
    return nums, keys


def touchpoint_columns(store: Store, *, cached: bool = True,
                       keys: bool = False) -> TouchpointColumns:
    """Every touchpoint of ``store``'s member (callers mask by time): those up to the
    member's column cache from it, the rest from the table (:mod:`daemon.store.column_cache`;
    ``cached=False`` reads every row and leaves the cache alone). ``keys``: with the thread
    keys of the codes (``thread_keys``)."""
    member = store.member_id
    raw = store.engine.raw_connection()
    try:
        driver = raw.driver_connection
        sqlite = store.engine.dialect.name == "sqlite"
        # PostgreSQL: results in binary, so the blobs travel as bytes, not as hex text
        # (the 24 MB cache of a million touchpoints: 0.43 -> 0.12 s)
        cur = driver.cursor() if sqlite else driver.cursor(binary=True)  # type: ignore[union-attr, call-arg]
        # one snapshot for every read here and the cache written from them
        cur.execute("BEGIN" if sqlite else "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        mark = "?" if sqlite else "%s"
        cur.execute(f"SELECT id, address, display_name FROM contacts WHERE member_id = {mark}",
                    (member,))
        contacts = [(c, a, n or "") for c, a, n in cur.fetchall()]
        rows, thread_keys = _rows(driver, cur, member, sqlite, cached, keys)
    finally:
        raw.close()  # back to the pool, rolled back
    packed = rows["packed"]
    # t and group copied out of the records: every reader masks or gathers them, and a
    # strided column costs three times a contiguous one in each (a gather: 16 -> 5 ms)
    return TouchpointColumns(
        contacts, packed >> 6, np.ascontiguousarray(rows["t"]), (packed & 3).astype(np.int8),
        (packed & 4) > 0, np.ascontiguousarray(rows["group"]), (packed & 8) > 0,
        (packed & 16) > 0, rows["thread"].astype(np.int64), (packed & 32) > 0, thread_keys)


def _rows(driver: Any, cur: Any, member: int, sqlite: bool, cached: bool, want_keys: bool
          ) -> tuple[np.ndarray, list[str] | None]:
    """Every touchpoint as :data:`~daemon.store.column_cache.ROW` records, in id order: the
    cache's and the rows after it; the cache written again when there were any. With the
    thread keys in code order when ``want_keys``."""
    mark = "?" if sqlite else "%s"
    old = column_cache.read(cur, member, mark) if cached else None
    after = old.through if old is not None else 0
    read = _sqlite if sqlite else _postgresql
    (t, packed, group), keys = read(cur, member, after)
    if old is not None and not keys:
        return old.rows, column_cache.thread_keys(cur, member, mark) if want_keys else None
    known = ({k: i for i, k in enumerate(column_cache.thread_keys(cur, member, mark), 1)}
             if old is not None else {})
    thread = _codes(keys, "" if sqlite else None, known)
    new = column_cache.pack(t, packed, group, thread)
    rows = new if old is None else np.concatenate((old.rows, new))
    ordered = [k for k, code in known.items() if code > 0]  # code order: insertion order
    if cached:
        cur.execute(f"SELECT max(id) FROM touchpoints WHERE member_id = {mark}", (member,))
        through = cur.fetchone()[0] or 0
        column_cache.write(driver, member, through, rows, ordered, mark)
    return rows, ordered if want_keys else None
