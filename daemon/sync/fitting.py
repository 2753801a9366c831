"""Make a meaning fit the store's columns, the same way on every backend.

SQLite keeps text of any length; PostgreSQL refuses a row with text longer than its column,
and with it the whole page. Every value that reaches the writer is first made to fit here:
names are cut, keys keep their head and end in a digest of the whole (so they stay unique and
come out the same on every write), and an address too long to be one is left out.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from daemon.store.models import Contact, Item, ItemSource, Touchpoint
from daemon.sync.meaning import Meaning


def fit(key: str, length: int) -> str:
    """``key`` made to fit a column of ``length`` characters while staying unique and the same
    on every write: an over-long key keeps its head and ends in a digest of the whole."""
    if len(key) <= length:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{key[: length - 33]}#{digest}"


def fitted(m: Meaning) -> Meaning:
    """``m`` with every text within its column's length, on every backend alike (SQLite keeps
    any length; PostgreSQL refuses the row, and with it the page). Names are cut; keys are
    :func:`fit`; an address too long to be one (RFC 5321: 320) never reaches the store."""
    long_key = len(m.identity) > _IDENTITY or len(m.thread_key or "") > _THREAD
    if not long_key and all(len(c.name) <= _NAME and len(c.address) <= _ADDRESS
                            for c in m.counterparts):
        return m
    return dataclasses.replace(
        m, identity=fit(m.identity, _IDENTITY),
        thread_key=None if m.thread_key is None else fit(m.thread_key, _THREAD),
        counterparts=tuple(dataclasses.replace(c, name=c.name[:_NAME])
                           for c in m.counterparts if len(c.address) <= _ADDRESS))


def _length(column: Any) -> int:
    return int(column.type.length)


SOURCE_ID = _length(ItemSource.__table__.c.source_id)  # type: ignore[attr-defined]
_IDENTITY = _length(Item.__table__.c.identity)  # type: ignore[attr-defined]
_THREAD = _length(Touchpoint.__table__.c.thread_key)  # type: ignore[attr-defined]
_NAME = _length(Contact.__table__.c.display_name)  # type: ignore[attr-defined]
_ADDRESS = _length(Contact.__table__.c.address)  # type: ignore[attr-defined]
