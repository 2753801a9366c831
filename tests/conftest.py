"""Shared fixtures: a temporary store and config, and the fakes folder on sys.path."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))

# A test never asserts a wall-clock time: hypothesis's per-example deadline would, and fails
# property tests at random on a busy machine.
settings.register_profile("keepwarm", deadline=None)
settings.load_profile("keepwarm")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads or writes the real ~/.config or ~/.local/state."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("KEEPWARM_CONFIG", raising=False)
    yield home
    from helpers.daemons import stop_all

    stop_all()  # a failing test must not leave its `keepwarm run` behind


PG_URL = os.environ.get("KEEPWARM_TEST_PG_URL")  # set by .ci/run, which starts PostgreSQL


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """A migrated, empty store: SQLite, and PostgreSQL where a server is configured."""
    from daemon.store import Store

    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'store.db'}")
        yield s
        s.dispose()
        return
    if not PG_URL:
        from helpers import servers

        servers.missing("KEEPWARM_TEST_PG_URL not set (no PostgreSQL server)")
    yield from _pg_store(PG_URL)


def _pg_store(url: str):
    """A fresh database per test on the server at ``url``, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from daemon.store import Store

    name = f"kw_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    s = Store(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        yield s
    finally:
        s.dispose()
        _drop(admin, name)
        admin.dispose()


def _drop(admin, name: str) -> None:
    """DROP DATABASE ... WITH (FORCE); retried while an autovacuum worker (a superuser's
    backend, which the test role may not terminate) is still on the database."""
    from sqlalchemy import exc, text
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

    @retry(retry=retry_if_exception_type(exc.ProgrammingError), stop=stop_after_attempt(20),
           wait=wait_fixed(0.25), reraise=True)
    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))

    drop()
