"""The database handle: engine, short sessions, one ``transaction()``, and migrations on open."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from daemon.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the syncing writer
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is still crash-safe for commits
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class Store:
    """An opened, migrated store. Use :meth:`transaction` for every unit of work."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            path = Path(url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                path.touch(mode=0o600)
        try:
            self.engine: Engine = create_engine(url)
        except Exception as exc:  # bad URL or missing driver
            raise StoreError(f"cannot open store {masked_url(url)!r}: {exc}",
                             hint="check [store] url") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.upgrade()

    def _alembic(self) -> AlembicConfig:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return cfg

    def upgrade(self) -> None:
        """Apply every pending migration (idempotent)."""
        cfg = self._alembic()
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except Exception as exc:
            raise StoreError(f"cannot migrate store: {exc}", hint="keepwarm db upgrade") from exc

    def revision(self) -> tuple[str | None, str | None]:
        """(current revision of the database, head revision of this code)."""
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

    def dispose(self) -> None:
        self.engine.dispose()


def masked_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``, for output and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: it may still hold a secret
        return "***"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{os.fspath(path)}"
