"""The store's small readers and writers as SQL text, run by either handle on a store.

``keepwarm status``, ``contacts`` and ``snooze`` run their statements through whichever handle
the command opened: the full :class:`~daemon.store.db.Store` (SQLAlchemy; PostgreSQL, or a store
that needs migrating) or :class:`~daemon.store.light.LightStore` (stdlib ``sqlite3``, a current
SQLite store, no SQLAlchemy import). The statements are written once, here and in the readers
(``health``, ``contacts``, ``snoozes``, ``sent``), so both handles mean the same thing. This
module imports nothing beyond the standard library.

Values cross the boundary as SQLAlchemy's column types would carry them: an instant is stored
as naive UTC (on SQLite the text ``YYYY-MM-DD HH:MM:SS.ffffff``) and read back as aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Params = Mapping[str, object]
Row = Sequence[Any]

DEFAULT_MEMBER = "me"  # the member of a single-user config (and of every pre-team store)


@runtime_checkable
class Db(Protocol):
    """A handle that runs one statement at a time, each in its own short transaction."""

    @property
    def sqlite(self) -> bool:
        """True when the database is SQLite (instants are stored as text)."""

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        """The rows of a read."""

    def write(self, sql: str, params: Params | None = None) -> int:
        """Run a write and commit it; the number of rows it changed."""

    @property
    def member_id(self) -> int:
        """The id of the member whose rows this handle reads and writes."""


def rows(db: Db | Session, sql: str, params: Params | None = None) -> list[Row]:
    """``sql``'s rows through a handle, or through an open ORM session (the summary's and
    ``doctor``'s readers hold one already)."""
    if isinstance(db, Db):
        return db.rows(sql, params)
    from sqlalchemy import text

    return [tuple(r) for r in db.execute(text(sql), dict(params or {}))]


def write(db: Db | Session, sql: str, params: Params | None = None) -> int:
    """Run a write through a handle (committed at once) or inside an open ORM session's
    transaction (the sync's page); the number of rows it changed."""
    if isinstance(db, Db):
        return db.write(sql, params)
    from sqlalchemy import text

    return int(getattr(db.execute(text(sql), dict(params or {})), "rowcount", 0))


def member_id(db: Db, name: str) -> int:
    """The id of member ``name``, its row added when new (a racing replica may add it too)."""
    found = db.rows(_MEMBER_ID, {"name": name})
    if not found:
        db.write(_ADD_MEMBER, {"name": name})
        found = db.rows(_MEMBER_ID, {"name": name})
    return int(found[0][0])


def owner(db: Db | Session, member: int | None = None) -> int:
    """The member whose rows a reader keys by: ``member`` when given, else the handle's own
    (an ORM session knows no member: its caller must name one)."""
    if member is not None:
        return member
    if isinstance(db, Db):
        return db.member_id
    raise TypeError("a reader given an ORM session needs the member's id")


_MEMBER_ID = "SELECT id FROM members WHERE name = :name"
_ADD_MEMBER = "INSERT INTO members (name) VALUES (:name) ON CONFLICT (name) DO NOTHING"


def is_sqlite(db: Db | Session) -> bool:
    """True when the handle or session talks to SQLite."""
    if isinstance(db, Db):
        return db.sqlite
    return db.get_bind().dialect.name == "sqlite"


def stamp(at: datetime | None, sqlite: bool) -> object:
    """An aware instant as its column holds it: naive UTC (text on SQLite, as SQLAlchemy's
    ``DateTime`` writes it, so text comparisons order instants)."""
    naive = naive_utc(at)
    if naive is None or not sqlite:
        return naive
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f")


def naive_utc(at: datetime | None) -> datetime | None:
    """An aware instant as naive UTC, the form every store column holds; a naive one is
    refused (its zone is unknown)."""
    if at is None:
        return None
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return at.astimezone(UTC).replace(tzinfo=None)


def instant(value: object) -> datetime | None:
    """A stored instant (text on SQLite, a naive datetime elsewhere) as aware UTC."""
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC)
