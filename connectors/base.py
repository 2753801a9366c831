"""The one small interface every connector implements, and the vocabulary of the whole codebase.

Terms, used with these meanings everywhere:

record
    A neutral, frozen description of one upstream item: a :class:`MessageRecord` (who, when,
    labels, bulk-mail headers; never a body or subject) or an :class:`EventRecord` (attendees,
    time, status). A connector produces records; it never decides what they mean.
page
    A batch of records, the source ids deleted upstream since the last page, and the cursor
    that follows them. The sync engine commits a page and its cursor in one transaction.
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

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol, Union

Cursor = str


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
class Page:
    """Records, the source ids gone upstream, and the resume point after them."""

    records: tuple[Record, ...] = ()
    gone: tuple[str, ...] = ()
    cursor: Cursor | None = None


@dataclass(frozen=True, slots=True)
class Env:
    """What a connector may use besides its own settings: where to keep its tokens,
    and how to tell the time (tests freeze it)."""

    state_dir: Path
    interactive: bool = False
    now: object = field(default=None)  # Callable[[], datetime] | None; None means the real clock


class Source(Protocol):
    """One stream of one account. ``pages(cursor)`` resumes after ``cursor`` (None: from the
    start) and yields pages in order; each page's cursor resumes after that page."""

    key: str

    def pages(self, cursor: Cursor | None) -> Iterator[Page]: ...
