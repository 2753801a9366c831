"""The frame's columns kept between reports (issue 13): a weekly report reads the columns of
every touchpoint up to ``through_id`` as one binary value and only the touchpoints after it
from the table, instead of years of history row by row.

States of one member's cache (table ``column_cache``, written by migration 0009):

- *none*: no row. The report reads every touchpoint and writes the cache.
- *good*: no edit of the member with ``low_id <= through_id`` (``touchpoint_edits``, kept by
  triggers: a deleted or changed touchpoint logs ``0``; on PostgreSQL an insert logs its
  lowest id). The report reads the touchpoints after ``through_id`` and, when there are any,
  writes the cache again, through the last.
- *stale*: such an edit. Read as *none*.

A write happens in the same snapshot as the reads it stores (SQLite: one deferred transaction,
refused if another writer committed since; PostgreSQL: repeatable read) and clears the edits
that snapshot saw; an edit committed later stays and makes the cache stale or extends it. A
write that fails (another report wrote first, the store is busy or read-only) is given up: the
report has its columns anyway. Functions here take a driver cursor in such a transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# one stored row per touchpoint: the columns of daemon.store.columns, little-endian
ROW = np.dtype([("t", "<i8"), ("packed", "<i8"), ("group", "<i4"), ("thread", "<i4")])


@dataclass(frozen=True)
class Cached:
    """A good cache: the rows up to ``through`` (id order)."""

    through: int
    rows: np.ndarray  # ROW


def read(cur: Any, member: int, mark: str) -> Cached | None:
    """The member's cache when good, else None. ``mark`` is the driver's parameter mark."""
    cur.execute("SELECT c.through_id, c.rows, c.columns, EXISTS (SELECT 1 FROM"
                " touchpoint_edits e WHERE e.member_id = c.member_id AND e.low_id <="
                f" c.through_id) FROM column_cache c WHERE c.member_id = {mark}", (member,))
    found = cur.fetchone()
    if found is None or found[3]:
        return None
    through, count, blob, _ = found
    rows = np.frombuffer(blob, dtype=ROW)
    if rows.size != count:  # cut short somehow: not to be trusted
        return None
    return Cached(int(through), rows)


def thread_keys(cur: Any, member: int, mark: str) -> list[str]:
    """The cached thread keys in code order (the key of code ``k`` at ``k - 1``)."""
    cur.execute(f"SELECT thread_keys FROM column_cache WHERE member_id = {mark}", (member,))
    keys: list[str] = json.loads(cur.fetchone()[0])
    return keys


def pack(t: np.ndarray, packed: np.ndarray, group: np.ndarray,
         thread: np.ndarray) -> np.ndarray:
    """Columns as ROW records."""
    rows = np.empty(t.size, dtype=ROW)
    rows["t"], rows["packed"], rows["group"], rows["thread"] = t, packed, group, thread
    return rows


def write(driver: Any, member: int, through: int, rows: np.ndarray, keys: list[str],
          mark: str) -> bool:
    """Store ``rows`` (every touchpoint up to ``through``) and ``keys`` as the member's cache
    and clear the edits seen, then commit ``driver``'s transaction; False (rolled back) when
    the store refuses."""
    try:
        cur = driver.cursor()
        cur.execute(f"DELETE FROM touchpoint_edits WHERE member_id = {mark}", (member,))
        cur.execute(f"DELETE FROM column_cache WHERE member_id = {mark}", (member,))
        cur.execute("INSERT INTO column_cache (member_id, through_id, rows, columns,"
                    f" thread_keys) VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
                    (member, through, int(rows.size), rows.tobytes(), json.dumps(keys)))
        driver.commit()
    except Exception as exc:  # busy, a stale snapshot, a concurrent report, read-only
        log.debug("column cache not written: %s", type(exc).__name__)
        driver.rollback()
        return False
    return True
