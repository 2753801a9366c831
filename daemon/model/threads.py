"""The summary's reads of threads and first contacts, from the touchpoint columns the report
has already read for the model (no query: a scan of a million touchpoints in numpy takes
milliseconds, where SQL grouped them again for each section). Facts only, no judgement: who is
owed a reply, or new, is decided in :mod:`daemon.summary.sections`.

Times are compared, and returned, in whole UTC seconds, as the model's frame has them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np

from daemon.store.columns import DIRECTION_NAMES, TouchpointColumns
from daemon.store.vocab import Direction


class LastMessage(NamedTuple):
    """One counterpart of the latest email of a thread (named tuples here: a report makes
    thousands, and a frozen dataclass's ``__init__`` costs more than reading them)."""

    thread_key: str
    at: datetime
    direction: Direction
    direct: bool
    noise: bool  # bulk, automated or list traffic
    group_size: int
    address: str
    name: str | None
    thread: int  # the thread's code and the counterpart's id, for :func:`thread_counts`
    contact: int


class FirstContact(NamedTuple):
    """A contact's first human, small-group touchpoint in one direction, and how many."""

    address: str
    name: str | None
    direction: Direction
    first: datetime
    touchpoints: int  # how many such touchpoints


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _who(cols: TouchpointColumns) -> dict[int, tuple[str, str | None]]:
    """Contact id -> (address, display name or None)."""
    return {c: (a, n or None) for c, a, n in cols.contacts}


def last_messages(cols: TouchpointColumns, as_of: datetime, *, since: datetime,
                  until: datetime) -> list[LastMessage]:
    """Every counterpart of each thread's latest email up to ``as_of``, for the threads whose
    latest email fell in [``since``, ``until``]; ``cols`` must carry its thread keys."""
    if cols.thread_keys is None:
        raise ValueError("the columns were read without their thread keys (keys=True)")
    end = as_of.timestamp()
    email = np.flatnonzero(~cols.meeting & (cols.thread >= 0) & (cols.t <= end))
    if email.size == 0:
        return []
    thread = cols.thread[email]
    last = np.full(int(thread.max()) + 1, np.iinfo(np.int64).min)
    np.maximum.at(last, thread, cols.t[email])
    # each thread's latest email in the window, every counterpart on it
    latest = last[thread]
    at_last = email[(cols.t[email] == latest)
                    & (latest >= since.timestamp()) & (latest <= until.timestamp())]
    who = _who(cols)
    instants: dict[int, datetime] = {}  # the counterparts of one message share its second
    out = []
    # plain lists, not numpy scalars: thousands of rows, seven columns each
    for code, contact, t, direction, direct, noise, group in zip(
            *(c[at_last].tolist() for c in (cols.thread, cols.contact, cols.t, cols.direction,
                                             cols.direct, cols.noise, cols.group)), strict=True):
        address, name = who[contact]
        at = instants.get(t) or instants.setdefault(t, _instant(t))
        out.append(LastMessage(cols.thread_keys[code - 1], at, DIRECTION_NAMES[direction],
                               direct, noise, group, address, name, code, contact))
    return out


def thread_counts(cols: TouchpointColumns, messages: Iterable[LastMessage],
                  as_of: datetime) -> dict[tuple[str, str], int]:
    """(thread key, address) -> touchpoints with that counterpart in that thread up to
    ``as_of``, for each of ``messages`` (a few)."""
    wanted = {(m.thread, m.contact): (m.thread_key, m.address) for m in messages}
    if not wanted:
        return {}
    threads = np.fromiter((t for t, _ in wanted), np.int64, len(wanted))
    rows = np.flatnonzero(np.isin(cols.thread, threads) & (cols.t <= as_of.timestamp()))
    span = int(cols.contact.max()) + 1  # thread and contact as one number
    found, counts = np.unique(cols.thread[rows] * span + cols.contact[rows], return_counts=True)
    counted = dict(zip(found.tolist(), counts.tolist(), strict=True))
    return {named: counted.get(t * span + c, 0) for (t, c), named in wanted.items()}


def first_contacts(cols: TouchpointColumns, before: datetime, *, max_group: int,
                   since: datetime) -> list[FirstContact]:
    """Per contact and direction, the first human touchpoint in a group of at most
    ``max_group`` before ``before``, and how many there are; only for the contacts with a
    direction whose first such touchpoint is at or after ``since`` (every direction of theirs)."""
    end, start = before.timestamp(), since.timestamp()
    human = (cols.t < end) & ~cols.noise & (cols.group <= max_group)
    recent = np.unique(cols.contact[human & (cols.t >= start)])  # the few that can be new
    rows = np.flatnonzero(human & np.isin(cols.contact, recent))
    # (contact, direction) as a dense number: the contact's place among ``recent`` (from a
    # table indexed by contact id, as np.isin's own), so that counting and the first time are
    # bincounts, with no sort of the rows
    place = np.zeros(int(recent[-1]) + 1 if recent.size else 0, dtype=np.int64)
    place[recent] = np.arange(recent.size)
    pair = place[cols.contact[rows]] * 4 + cols.direction[rows]
    counts = np.bincount(pair, minlength=recent.size * 4)
    first = np.full(recent.size * 4, np.iinfo(np.int64).max)
    np.minimum.at(first, pair, cols.t[rows])
    seen = counts > 0
    new = (seen & (first >= start)).reshape(-1, 4).any(axis=1)  # per contact of ``recent``
    keep = np.flatnonzero(seen & np.repeat(new, 4))
    who, ids = _who(cols), recent.tolist()
    return [FirstContact(*who[ids[p // 4]], DIRECTION_NAMES[p % 4], _instant(f), n)
            for p, f, n in zip(keep.tolist(), first[keep].tolist(), counts[keep].tolist(),
                               strict=True)]
