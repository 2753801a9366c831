"""The one small interface every connector implements, and the vocabulary of the whole codebase.

Terms, used with these meanings everywhere:

record
    A neutral, frozen description of one upstream item: a :class:`MessageRecord` (who, when,
    labels, bulk-mail headers; never a body or subject) or an :class:`EventRecord` (attendees,
    time, status). A connector produces records; it never decides what they mean.
page
    A batch of records, the source ids deleted upstream since the last page, and the cursor
    that follows them, with what the source learned while reading them (items skipped, per
    reason; the mailbox's own address). The sync engine commits a page and its cursor in one
    transaction.
cursor
    Opaque text naming the resume point *after* a page. Only the connector that wrote it
    parses it; the engine stores it verbatim.
source
    One stream of one account (``work/mail``, ``work/calendar``) with its own cursor.
touchpoint
    One interaction with one counterpart, derived from a record by ``daemon.sync.meaning``.
counterpart
    The other person of a touchpoint: any participant who is not the user.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Union

Cursor = str
KnownIds = Callable[[list[str]], set[str]]  # source ids -> the subset the store already holds


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One message's metadata, as the source gave it.

    Address fields hold raw header values (one string per header occurrence, e.g.
    ``'"Doe, John" <john@x.com>, =?utf-8?q?Jos=C3=A9?= <jose@y.es>'``); ``daemon`` parses them.
    ``references`` lists the thread's ancestry, root first (References, then In-Reply-To).
    ``when`` is the source's trusted timestamp (Gmail ``internalDate``, Graph
    ``receivedDateTime``), aware; ``date_header`` the raw ``Date:`` used when ``when`` is None.
    """

    source_id: str
    message_id: str | None = None
    thread_id: str | None = None
    references: tuple[str, ...] = ()
    when: datetime | None = None
    date_header: str | None = None
    from_: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    list_id: str | None = None
    list_unsubscribe: bool = False
    precedence: str | None = None
    auto_submitted: str | None = None


@dataclass(frozen=True, slots=True)
class Attendee:
    """A person (or room) on an event. ``response`` is lower-case iCalendar PARTSTAT vocabulary:
    ``accepted``, ``declined``, ``tentative``, ``needs-action`` or ``none``."""

    address: str
    name: str = ""
    response: str = "none"
    is_self: bool = False
    is_resource: bool = False


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One occurrence of a calendar event. A recurring event yields one record per
    occurrence, each with ``occurrence`` set to that occurrence's original start."""

    source_id: str
    uid: str | None = None
    occurrence: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    status: str = "confirmed"
    organizer: Attendee | None = None
    attendees: tuple[Attendee, ...] = ()


Record = Union[MessageRecord, EventRecord]


@dataclass(frozen=True, slots=True)
class Listing:
    """A full listing of a stream begins on the page that carries it: by the end of that pass,
    every item upstream whose time falls in ``[start, end)`` (None: unbounded) has been named,
    as a record or in ``Page.listed``. The engine then forgets this stream's stored items in
    that window that the pass did not name: they were deleted, trashed or cancelled while the
    incremental path was not looking (after an expired cursor, or between two archive passes).
    A pass cut short forgets nothing; the next one resumes the same listing."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """The page carrying this lists every occurrence of the recurring event ``uid`` in
    ``[start, end)`` (None: unbounded): the engine forgets the stream's stored occurrences of it
    in that window that the page does not carry (a series ended or cut short upstream)."""

    uid: str
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """Records, the source ids gone upstream, and the resume point after them.

    Two facts learned while reading travel with the page, so they commit with it: ``skipped``
    counts the items left out since the previous page, per reason (``{"draft": 2}``; empty by
    default), and ``address`` is the mailbox's own address when the source learned it (Gmail's
    profile; None by default), which the engine adds to the user's addresses.

    Three more let the store equal the upstream after changes the incremental path does not
    carry: ``listing`` opens a full listing (see :class:`Listing`), ``listed`` names source ids
    still upstream that the page does not re-read (a listing pass that skips what is already
    stored, or an archive pass over unchanged files), and ``series`` names recurring events the
    page lists in full (see :class:`Series`). ``incomplete`` says part of the stream could not
    be read on this pass (a folder that cannot be listed): nothing under it was named, so the
    open listing ends without forgetting anything.
    """

    records: tuple[Record, ...] = ()
    gone: tuple[str, ...] = ()
    cursor: Cursor | None = None
    skipped: Mapping[str, int] = field(default_factory=dict)
    address: str | None = None
    listing: Listing | None = None
    listed: tuple[str, ...] = ()
    series: tuple[Series, ...] = ()
    incomplete: bool = False


@dataclass(frozen=True, slots=True)
class Env:
    """What a connector may use besides its own settings: where to keep its tokens,
    and how to tell the time (tests freeze it)."""

    state_dir: Path
    interactive: bool = False
    now: Callable[[], datetime] | None = None  # None means the real clock
    # Called with a budget's key (``graph:<tenant>:<client id>``) before each request that
    # counts against a limit shared by every process of a deployment; returns once the
    # request may go. The daemon fills it; None: nothing is shared.
    throttle: Callable[[str], None] | None = None

    def clock(self) -> Callable[[], datetime]:
        """What tells the time: ``now`` when tests froze it, else the real clock (aware UTC)."""
        return self.now if self.now is not None else _utc_now

    def gate(self, key: str) -> Callable[[], None] | None:
        """The :attr:`throttle` hook bound to budget ``key`` (None: nothing is shared)."""
        hook = self.throttle
        return None if hook is None else lambda: hook(key)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Source(ABC):
    """One stream of one account: every member the sync engine uses, optional ones defaulted.

    ``key`` (required)
        Names the stream and its cursor row: ``NAME/mail``, ``NAME/calendar``.
    ``pages(cursor)`` (required)
        Resumes after ``cursor`` (None: from the start) and yields pages in order; each page's
        cursor resumes after that page. A pass that reads anything ends with a page.
    ``size_hint`` (default None: unknown)
        How many records the next pass is expected to read, for the progress bar.
    ``known_ids`` (default None)
        Set by the engine before ``pages``: ids -> the subset already stored. A source may skip
        fetching those (Gmail after a Takeout import); the others ignore it.
    ``local`` (default False)
        True when ``pages`` reads only local files (no connection, no token to refresh, no
        ``known_ids``): the engine may then run it in a forked process, ahead of its commits.
    """

    key: str
    known_ids: KnownIds | None = None
    local: bool = False

    @property
    def size_hint(self) -> int | None:
        """Records the next pass is expected to read; None when unknown."""
        return None

    @abstractmethod
    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """Pages after ``cursor``."""


class Skips(Counter[str]):
    """Items a source left out during one pass, counted per reason. :meth:`take` hands over
    what was counted since the last take, for the next page to carry; the counter keeps the
    whole pass's counts for the source's log line."""

    _taken: Counter[str] | None = None

    def take(self) -> dict[str, int]:
        """The counts added since the last take (all of them, the first time)."""
        fresh = self - (self._taken or Counter())
        self._taken = Counter(self)
        return dict(fresh)
