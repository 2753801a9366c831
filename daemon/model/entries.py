"""What the scoring model hands the report: one :class:`Entry` per person, grouped.

This is the contract between ``daemon.model.rank`` (which fills it) and
``daemon.summary.gather`` / ``daemon.model.backtest`` (which read it). Every number behind an
entry's sentence is in ``numbers``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol, overload

from daemon.model.quiet import OwnSilence
from daemon.model.vocab import Exclusion, Group, Shape
from daemon.store.vocab import Channel, Direction


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the reader can do from the summary by sending mail to themselves (issue 16):
    ``url`` is a ``mailto:`` link to ``address``, their own address plus-tagged."""

    command: str  # snooze4w | snooze3m | ignoreperson | ignoredomain
    label: str  # what the link says: "snooze 4 weeks"
    address: str
    url: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One person (an identity group of one or more addresses) as seen at ``as_of``."""

    key: str  # the person's primary normalised address
    name: str  # best display name, or the address
    addresses: tuple[str, ...]
    group: Group
    risk: float  # calibrated probability of no interaction in the next 12 weeks
    score: float  # the going-quiet ranking score (risk weighted by how much they matter)
    strength: float  # how much the relationship matters (weighted recent + long-run exchange)
    rhythm_days: float | None  # the usual gap between interactions
    silence_days: float  # days since the last interaction either way
    last_at: datetime | None
    last_direction: Direction | None
    last_channel: Channel | None
    shape: Shape | None  # for losing_touch and dormant entries
    reason: str  # the one sentence a person believes
    excluded_because: Exclusion | None = None
    monthly: tuple[int, ...] = ()  # interactions per month, 12 values, oldest first
    numbers: dict[str, float] = field(default_factory=dict)
    link: str | None = None  # the last conversation in the user's web mail (daemon.summary.links)
    actions: tuple[Action, ...] = ()  # filled by the summary (daemon.summary.actions)


class Who(NamedTuple):
    """What the summary's other sections need of a scored person: a name and a weight (a named
    tuple: the summary asks it of every person)."""

    key: str
    name: str
    addresses: tuple[str, ...]
    strength: float


class People(Protocol):
    """Where a :class:`Ranked` view reads its people (``daemon.model.table.EntryTable``)."""

    def key(self, i: int) -> str: ...
    def addresses(self, i: int) -> tuple[str, ...]: ...
    def who(self, i: int) -> Who: ...
    def entry(self, i: int) -> Entry: ...


class _Given:
    """Entries given whole (tests, and callers that build their own)."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = entries

    def key(self, i: int) -> str:
        return self._entries[i].key

    def addresses(self, i: int) -> tuple[str, ...]:
        return self._entries[i].addresses

    def who(self, i: int) -> Who:
        e = self._entries[i]
        return Who(e.key, e.name, e.addresses, e.strength)

    def entry(self, i: int) -> Entry:
        return self._entries[i]


class Ranked(Sequence[Entry]):
    """People in a fixed order, each :class:`Entry` built when it is first read: a report
    reads the top few of thousands. Compares equal to a tuple of the same entries."""

    __slots__ = ("_people", "_order")

    def __init__(self, people: People, order: Sequence[int]) -> None:
        self._people, self._order = people, tuple(order)

    @classmethod
    def of(cls, entries: Iterable[Entry]) -> Ranked:
        given = tuple(entries)
        return cls(_Given(given), range(len(given)))

    def by_address(self) -> Mapping[str, Who]:
        """Each person's name and weight by their key and every address of theirs, each
        :class:`Who` made when it is looked up (the summary looks up a few of thousands)."""
        return _ByAddress(self._people, self._order)

    def where(self, keep: Callable[[str], bool]) -> Ranked:
        """The people whose key ``keep`` accepts, in the same order."""
        return Ranked(self._people, [i for i in self._order if keep(self._people.key(i))])

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Entry, ...]: ...
    def __getitem__(self, index: int | slice) -> Entry | tuple[Entry, ...]:
        if isinstance(index, slice):
            return tuple(map(self._people.entry, self._order[index]))
        return self._people.entry(self._order[index])

    def __iter__(self) -> Iterator[Entry]:
        return map(self._people.entry, self._order)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Ranked, tuple)):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a tuple, but built lazily

    def __add__(self, other: Sequence[Entry]) -> tuple[Entry, ...]:
        return (*self, *other)

    def __radd__(self, other: Sequence[Entry]) -> tuple[Entry, ...]:
        return (*other, *self)

    def __repr__(self) -> str:
        return f"Ranked({len(self)} people)"


@dataclass(frozen=True, slots=True)
class Scored:
    """The model's answer for one store and one as-of time (deterministic). Tuples of entries
    given for the three lists become :class:`Ranked` views."""

    as_of: datetime
    losing_touch: Ranked  # ranked, highest score first (all of them, not only top N)
    dormant: Ranked  # ranked
    everyone: Ranked  # every scored person, excluded ones included
    own_silence: OwnSilence | None = None  # you sent nothing for weeks: lists show only older fades

    def __post_init__(self) -> None:
        for name in ("losing_touch", "dormant", "everyone"):
            value: Any = getattr(self, name)
            if not isinstance(value, Ranked):
                object.__setattr__(self, name, Ranked.of(value))


class _ByAddress(Mapping[str, Who]):
    """:meth:`Ranked.by_address`: an address -> person index, the :class:`Who` made on demand."""

    def __init__(self, people: People, order: Sequence[int]) -> None:
        self._people = people
        self._index = {a: i for i in order for a in (people.key(i), *people.addresses(i))}

    def __getitem__(self, address: str) -> Who:
        return self._people.who(self._index[address])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)
