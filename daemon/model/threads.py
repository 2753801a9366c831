"""The summary's reads of threads and first contacts, from the touchpoint columns the report
has already read for the model (no query: a scan of a million touchpoints in numpy takes
milliseconds, where SQL grouped them again for each section). Facts only, no judgement: who is
owed a reply, or new, is decided in :mod:`daemon.summary.sections`.

Times are compared, and returned, in whole UTC seconds, as the model's frame has them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from daemon.store.columns import DIRECTION_NAMES, TouchpointColumns
from daemon.store.vocab import Direction


@dataclass(frozen=True, slots=True)
class LastMessage:
    """One counterpart of the latest email of a thread."""

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


@dataclass(frozen=True, slots=True)
class FirstContact:
    """A contact's first human, small-group touchpoint in one direction, and how many."""

    address: str
    name: str | None
    direction: Direction
    first: datetime
    count: int


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
    at_last = email[(cols.t[email] == last[thread])
                    & (last[thread] >= since.timestamp()) & (last[thread] <= until.timestamp())]
    who = _who(cols)
    out = []
    for i in at_last.tolist():
        code, contact = int(cols.thread[i]), int(cols.contact[i])
        address, name = who[contact]
        out.append(LastMessage(
            cols.thread_keys[code - 1], _instant(int(cols.t[i])),
            DIRECTION_NAMES[cols.direction[i]], bool(cols.direct[i]), bool(cols.noise[i]),
            int(cols.group[i]), address, name, code, contact))
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
    # contact and direction as one number: contact ids are far below 2**60
    pair = cols.contact[rows] * 4 + cols.direction[rows]
    pairs, inverse, counts = np.unique(pair, return_inverse=True, return_counts=True)
    first = np.full(pairs.size, np.iinfo(np.int64).max)
    np.minimum.at(first, inverse, cols.t[rows])
    new = np.unique(pairs[first >= start] // 4)
    keep = np.isin(pairs // 4, new)
    who = _who(cols)
    return [FirstContact(*who[p // 4], DIRECTION_NAMES[p % 4], _instant(f), n)
            for p, f, n in zip(pairs[keep].tolist(), first[keep].tolist(),
                               counts[keep].tolist(), strict=True)]
