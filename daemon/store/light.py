"""A current SQLite store opened with stdlib ``sqlite3``: the quick path of the small commands.

``keepwarm status``, ``contacts`` and ``snooze`` read and write a handful of rows; SQLAlchemy
alone takes half a second to import. :func:`open_light` opens the store with ``sqlite3`` when
that is safe: a plain ``sqlite:///PATH`` URL, a file that exists, and an ``alembic_version``
that names :data:`HEAD`, the newest revision this code knows. Anything else (PostgreSQL, a
store that needs migrating or was written by a newer Keepwarm, a file that cannot be read)
returns None, and the command opens the full :class:`~daemon.store.db.Store`, which migrates
or explains exactly as before. The statements both handles run live in ``daemon.store.sql``'s
readers; this module imports nothing beyond the standard library.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from typing import Any

from daemon.store.faults import busy_timeout_ms
from daemon.store.sql import DEFAULT_MEMBER, Params, Row, member_id

# The head of daemon/store/migrations/versions; tests/daemon/store/test_light.py pins it to
# Alembic's own answer, so a new migration without this line fails the suite.
HEAD = "0010"


class LightStore:
    """A ``sqlite3`` connection in autocommit: every statement is its own short transaction.
    Member views (:meth:`scoped`) share the connection; a lock lets threads share it (the
    daemon's workers and its main thread take and renew leases through one)."""

    sqlite = True

    def __init__(self, conn: Any, url: str, member: str = DEFAULT_MEMBER,
                 lock: threading.Lock | None = None) -> None:
        self._conn = conn
        self.url, self.member = url, member
        self._member_id: int | None = None
        self._lock = lock or threading.Lock()

    def scoped(self, member: str) -> LightStore:
        """Member ``member``'s view on the same connection."""
        return type(self)(self._conn, self.url, member, self._lock)

    def dispose(self) -> None:
        """Nothing pooled to give back: the one connection stays open until :meth:`close`."""

    @property
    def member_id(self) -> int:
        """The id of :attr:`member` (whose rows the small commands read and write)."""
        if self._member_id is None:
            self._member_id = member_id(self, self.member)
        return self._member_id

    def _run(self, sql: str, params: Params | None) -> Any:
        """The driver's cursor for one statement (called under the lock)."""
        return self._conn.execute(sql, dict(params or {}))

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        """The rows of a read."""
        with self._lock:
            return list(self._run(sql, params).fetchall())

    def write(self, sql: str, params: Params | None = None) -> int:
        """Run a write (committed at once); the number of rows it changed."""
        with self._lock:
            return int(self._run(sql, params).rowcount)

    def close(self) -> None:
        self._conn.close()


def sqlite_file(url: str | None) -> str | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for anything else (a driver name,
    a query string, an escaped path, memory), which the full store reads as it always has."""
    if not url or not url.startswith("sqlite:///") or any(c in url for c in "?%#"):
        return None
    path = url.removeprefix("sqlite:///")
    return path if path and path != ":memory:" else None


def open_light(url: str | None, member: str = DEFAULT_MEMBER) -> LightStore | None:
    """The store at ``url`` opened with ``sqlite3`` when it is a current SQLite file, else None
    (never an error: the full store then opens it and says what is wrong, as before)."""
    path = sqlite_file(url)
    if path is None or not os.path.isfile(path):
        return None  # a new store is created and migrated by the full one
    conn = None
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout_ms() / 1000, isolation_level=None,
                               check_same_thread=False)  # LightStore's lock serialises it
        conn.execute("PRAGMA foreign_keys=ON")  # as the full store's connections are set up
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms()}")
        found = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.Error:
        found = []
    if found != [HEAD]:
        if conn is not None:
            conn.close()
        return None
    assert conn is not None and url is not None
    return LightStore(conn, url, member)


class LightPostgres(LightStore):
    """The same on PostgreSQL through psycopg alone (autocommit), for the daemon's main
    process: its leases and ledger reads, without SQLAlchemy. A dropped connection is opened
    again by the next statement."""

    sqlite = False

    def _run(self, sql: str, params: Params | None) -> Any:
        import psycopg

        if self._conn.closed:
            self._conn = psycopg.connect(_libpq(self.url), autocommit=True)
        # psycopg's placeholders: %(name)s for :name, and % itself doubled
        query = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
        return self._conn.execute(query, dict(params or {}))


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def _libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def open_postgres(url: str | None, member: str = DEFAULT_MEMBER) -> LightPostgres | None:
    """A PostgreSQL store at the head revision through psycopg alone; None for anything else
    (another driver, an unreachable server, a store to migrate), which the full store opens."""
    if not url or not url.startswith(("postgresql+psycopg://", "postgresql://")):
        return None
    try:
        import psycopg

        conn = psycopg.connect(_libpq(url), autocommit=True)
    except Exception:  # no psycopg, or the server refuses: the full store says why
        return None
    try:
        found = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    except Exception:
        found = []
    if found != [HEAD]:
        conn.close()
        return None
    return LightPostgres(conn, url, member)
