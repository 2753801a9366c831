"""The database handle: engine, short sessions, one ``transaction()``, and migrations on open.

Opening a store whose ``alembic_version`` already names the head revision (read with plain SQL;
the head from the ``revision``/``down_revision`` lines of ``migrations/versions``) does not
import Alembic: its machinery (Mako, Pygments, every dialect's DDL) loads only to migrate. An
empty database gets the head schema in one step (:mod:`daemon.store.fresh`), without it too.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from daemon.errors import StoreError, brief
from daemon.store import faults, fresh
from daemon.store.faults import masked_url
from daemon.store.sql import DEFAULT_MEMBER, Params, Row, member_id

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).with_name("migrations")
_ASSIGNED = re.compile(r"^(revision|down_revision)\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""['"]([^'"]+)['"]""")


def head_revisions(versions: Path = MIGRATIONS / "versions") -> frozenset[str] | None:
    """The head revision ids of the migration scripts in ``versions``, read from their
    ``revision = ...`` and ``down_revision = ...`` lines without importing Alembic; None when
    a script does not say (then only Alembic can tell)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        found = dict(_ASSIGNED.findall(path.read_text(encoding="utf-8")))
        own = _QUOTED.findall(found.get("revision", ""))
        if len(own) != 1 or "down_revision" not in found:
            return None
        revisions.add(own[0])
        parents.update(_QUOTED.findall(found["down_revision"]))
    return frozenset(revisions - parents) or None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the syncing writer
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is still crash-safe for commits
    cur.execute(f"PRAGMA busy_timeout={faults.busy_timeout_ms()}")
    cur.close()


class Store:
    """An opened, migrated store, seen as one member's (``member``: a name from the config;
    :data:`~daemon.store.models.DEFAULT_MEMBER` for a single user). Every reader and writer
    keys its rows by :attr:`member_id`; :meth:`scoped` gives another member's view on the same
    engine. Use :meth:`transaction` for every unit of work."""

    def __init__(self, url: str, *, migrate: bool = True, member: str = DEFAULT_MEMBER) -> None:
        self.url = url
        self.member = member
        self._member_id: int | None = None
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            _create(Path(url.removeprefix("sqlite:///")))
        try:
            # hide_parameters: a failed statement's values are addresses and names from the
            # mail; they stay out of every error message and log line
            self.engine: Engine = create_engine(url, hide_parameters=True)
        except Exception as exc:  # bad URL or missing driver
            raise StoreError(f"cannot open store {masked_url(url)!r}: {exc}",
                             hint="check [store] url") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate and not self.is_current() and not fresh.create(self.engine, head_revisions()):
            self.upgrade()

    def is_current(self) -> bool:
        """True when the database is at the head revision (plain SQL, no Alembic); False when
        it is behind, empty, or cannot be read (then :meth:`upgrade` says why)."""
        heads = head_revisions()
        if heads is None:
            return False
        try:
            with self.engine.connect() as conn:
                rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except SQLAlchemyError:  # no version table yet, or the store cannot be reached
            return False
        return frozenset(str(r[0]) for r in rows) == heads

    def _alembic(self) -> AlembicConfig:
        from alembic.config import Config as AlembicConfig

        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return cfg

    def upgrade(self) -> None:
        """Apply every pending migration (idempotent). A revision this code does not know
        means a newer Keepwarm wrote the store: that is said, and nothing is touched."""
        from alembic import command

        unknown = set(self.stored_revisions()) - self.known_revisions()
        if unknown:
            raise faults.newer_schema(min(unknown))
        try:
            self.migrate(command.upgrade, "head")
        except Exception as exc:
            fault = faults.explain(exc, self.url)
            if fault.hint:  # a fault with a known way out: upgrading again would not help
                raise fault from exc
            raise StoreError(f"cannot migrate store: {brief(exc)}") from exc

    def migrate(self, action: Callable[[AlembicConfig, str], None], revision: str) -> None:
        """Run Alembic's ``action`` (``command.upgrade``, ``command.downgrade``) to
        ``revision`` in one transaction. On SQLite foreign keys are off meanwhile: a migration
        that copies a table (the only way to change its keys there) must not cascade the old
        copy's deletion into the rows that refer to it."""
        cfg = self._alembic()
        with self.engine.connect() as conn:
            if self.sqlite:  # a pragma that only takes effect outside a transaction
                _driver(conn).execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    action(cfg, revision)
            finally:
                if self.sqlite:
                    _driver(conn).execute("PRAGMA foreign_keys=ON")

    def known_revisions(self) -> set[str]:
        """Every revision of this code's migration scripts."""
        from alembic.script import ScriptDirectory

        return {s.revision for s in ScriptDirectory.from_config(self._alembic()).walk_revisions()}

    def stored_revisions(self) -> list[str]:
        """The revisions ``alembic_version`` names; none when it cannot be read (the
        migration that follows then says why)."""
        try:
            with self.engine.connect() as conn:
                return [str(r[0]) for r in
                        conn.exec_driver_sql("SELECT version_num FROM alembic_version")]
        except SQLAlchemyError:
            return []

    def damage(self) -> str | None:
        """SQLite's first complaint about the file's structure (``PRAGMA quick_check``),
        None when it is sound or the store is not SQLite."""
        if self.engine.dialect.name != "sqlite":
            return None
        with self.engine.connect() as conn:
            first = conn.exec_driver_sql("PRAGMA quick_check(1)").scalar()
        return None if first == "ok" else str(first)

    def revision(self) -> tuple[str | None, str | None]:
        """(current revision of the database, head revision of this code)."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(self._alembic()).get_current_head()
        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return current, head

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One short session committed on success and rolled back on any exception."""
        with self._sessions.begin() as session:
            yield session

    def session(self) -> Session:
        """A read session; the caller closes it (``with store.session() as s``)."""
        return self._sessions()

    @property
    def sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def rows(self, sql: str, params: Params | None = None) -> list[Row]:
        """The rows of one read (``daemon.store.sql``'s statements)."""
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), dict(params or {}))]

    def write(self, sql: str, params: Params | None = None) -> int:
        """One write in its own transaction; the number of rows it changed."""
        with self.engine.begin() as conn:
            return int(conn.execute(text(sql), dict(params or {})).rowcount)

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def member_id(self) -> int:
        """The id of :attr:`member`, its row added on first use."""
        if self._member_id is None:
            self._member_id = member_id(self, self.member)
        return self._member_id

    def scoped(self, member: str) -> Store:
        """The same store (engine, pool, sessions) seen as ``member``'s."""
        view = copy.copy(self)
        view.member, view._member_id = member, None
        return view


def _driver(conn: Any) -> Any:
    """The DB-API connection under a SQLAlchemy one."""
    return conn.connection.driver_connection


def _create(path: Path) -> None:
    """The SQLite file and its folder, private, unless they exist; one line when they cannot
    be made (a folder under /proc, a read-only parent)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise faults.cannot_create(path.parent, exc) from None
    try:
        if not path.exists():
            path.touch(mode=0o600)
    except OSError as exc:
        raise faults.cannot_create(path, exc, what="file") from None


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{os.fspath(path)}"
