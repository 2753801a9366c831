"""Touchpoints as columns: numpy arrays, one row per touchpoint, sorted by (person, time), with
addresses mapped to persons through the ``[[people]]`` groups. No store here: reading one into
a frame is :mod:`daemon.model.load`.

A person is an identity group of addresses from the config; every other address is a person
of its own. Times are integer UTC seconds so that all arithmetic relative to an as-of time is
exact (shifting every time by the same amount changes nothing downstream).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np

from daemon.config import Person as PersonSettings
from daemon.sync.addresses import normalise

OUT, IN, MUTUAL = 0, 1, 2  # direction codes, as daemon.store.columns writes them


class Person(NamedTuple):
    """One person: a ``[[people]]`` group or an address of its own (a named tuple: a store
    has tens of thousands, made at every report)."""

    key: str  # primary normalised address
    name: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Frame:
    """Columns of every touchpoint, sorted by (person, t). ``thread`` is -1 when unknown."""

    persons: tuple[Person, ...]
    person: np.ndarray  # int32 index into persons
    t: np.ndarray  # int64 UTC seconds
    direction: np.ndarray  # int8: OUT, IN, MUTUAL
    meeting: np.ndarray  # bool: channel is meeting
    group: np.ndarray  # int32 group size (counterparts on the item)
    noise: np.ndarray  # bool: bulk/automated or list traffic
    direct: np.ndarray  # bool: the user was a direct (To:) party
    thread: np.ndarray  # int64 thread code
    seen_as: np.ndarray | None = None  # int32 index into the person's addresses (None: all 0)

    def address(self, row: int) -> str:
        """The store address touchpoint ``row`` was seen with (one of its person's)."""
        person = self.persons[int(self.person[row])]
        return person.addresses[0 if self.seen_as is None else int(self.seen_as[row])]

    def __len__(self) -> int:
        return int(self.t.size)


def seconds(when: datetime) -> int:
    """Integer UTC seconds of an aware datetime."""
    return int(when.astimezone(UTC).timestamp())


def build(persons: Sequence[Person], person: Iterable[int] | np.ndarray,
          t: Iterable[int] | np.ndarray, direction: Iterable[int] | np.ndarray,
          meeting: Iterable[bool] | np.ndarray, group: Iterable[int] | np.ndarray,
          noise: Iterable[bool] | np.ndarray, direct: Iterable[bool] | np.ndarray,
          thread: Iterable[int] | np.ndarray,
          seen_as: Iterable[int] | np.ndarray | None = None) -> Frame:
    """A frame from raw columns in any order (sorted here by person, then time); ``seen_as``
    (optional) is each row's index into its person's addresses."""
    cols = [np.asarray(list(c) if not isinstance(c, np.ndarray) else c, dtype=d) for c, d in (
        (person, np.int32), (t, np.int64), (direction, np.int8), (meeting, bool),
        (group, np.int32), (noise, bool), (direct, bool), (thread, np.int64))]
    order = by_person_then_time(cols[0], cols[1])
    cols = [c[order] for c in cols]
    cols[4] = np.maximum(cols[4], 1)
    seen = None if seen_as is None else np.asarray(
        list(seen_as) if not isinstance(seen_as, np.ndarray) else seen_as, np.int32)[order]
    person_, t_, direction_, meeting_, group_, noise_, direct_, thread_ = cols
    return Frame(tuple(persons), person_, t_, direction_, meeting_, group_, noise_, direct_,
                 thread_, seen)


def by_person_then_time(person: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Row order by person, then time, then row: ``np.lexsort((t, person))``. When person,
    time span and row number fit in one int64 it sorts that packed key instead (each key
    unique, so any sort gives the same order; half the time on a million rows)."""
    n = person.size
    if n == 0 or int(person.min()) < 0:
        return np.lexsort((t, person))
    lo = int(t.min())
    row_bits = max(n - 1, 1).bit_length()
    t_bits = max(int(t.max()) - lo, 1).bit_length()
    if max(int(person.max()), 1).bit_length() + t_bits + row_bits > 63:
        return np.lexsort((t, person))
    key = ((person.astype(np.int64) << (t_bits + row_bits)) | ((t - lo) << row_bits)
           | np.arange(n, dtype=np.int64))
    return np.sort(key) & ((1 << row_bits) - 1)


def identities(addresses: Iterable[tuple[str, str]],
               people: Sequence[PersonSettings]) -> tuple[list[Person], dict[str, int]]:
    """Persons from ``(address, display_name)`` pairs and the ``[[people]]`` groups, and the
    person index of each address. Grouped people come first, in config order."""
    persons: list[Person] = []
    index: dict[str, int] = {}
    names = dict(addresses)
    for group in people:
        addrs = tuple(dict.fromkeys(normalise(a) for a in group.addresses))
        fresh = [a for a in addrs if a not in index]
        if not fresh:
            continue
        best = group.name or next((names[a] for a in fresh if names.get(a)), "")
        for a in fresh:
            index[a] = len(persons)
        persons.append(Person(fresh[0], best or fresh[0], tuple(fresh)))
    for addr in sorted(names):
        if addr not in index:
            index[addr] = len(persons)
            persons.append(Person(addr, names[addr] or addr, (addr,)))
    return persons, index

