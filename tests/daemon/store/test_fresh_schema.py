"""A new store's schema made in one step equals the one every migration builds, row for row."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from daemon.store import Store, fresh
from daemon.store.db import head_revisions

PG_URL = os.environ.get("KEEPWARM_TEST_PG_URL")


def _schema(engine: Engine) -> dict[str, Any]:
    """Every table's columns, keys, constraints and indexes, in comparable form. Column order
    is left out (statements name their columns). On SQLite, so are string lengths: SQLite
    enforces none, and migration 0008 widens ``daemon_leases.name`` elsewhere only."""
    insp = inspect(engine)
    sqlite = engine.dialect.name == "sqlite"

    def kind(t: Any) -> str:
        name = type(t).__name__.upper()
        return name if sqlite else str(t.compile(dialect=engine.dialect))

    found: dict[str, Any] = {}
    for table in sorted(insp.get_table_names()):
        found[table] = {
            "columns": sorted((c["name"], kind(c["type"]), c["nullable"],
                               str(c.get("default"))) for c in insp.get_columns(table)),
            "pk": sorted(insp.get_pk_constraint(table)["constrained_columns"]),
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"],
                           tuple(f["referred_columns"]), str(f["options"].get("ondelete")))
                          for f in insp.get_foreign_keys(table)),
            "unique": sorted((tuple(u["column_names"]), u["name"] if u["name"] and not
                              u["name"].startswith(("sqlite_", table)) else None)
                             for u in insp.get_unique_constraints(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in insp.get_indexes(table)),
        }
    with engine.connect() as conn:
        found["rows"] = {
            "alembic_version": conn.execute(text("SELECT * FROM alembic_version")).all(),
            "members": conn.execute(text("SELECT id, name FROM members")).all()}
        found["triggers"] = _triggers(conn, sqlite)
    return found


def _triggers(conn: Any, sqlite: bool) -> list[Any]:
    """Every trigger with its definition (the column cache's edits log rests on them)."""
    if sqlite:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
    else:
        query = ("SELECT t.tgname, pg_get_triggerdef(t.oid), p.prosrc FROM pg_trigger t"
                 " JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal ORDER BY 1")
    return [tuple(row) for row in conn.execute(text(query)).all()]


@pytest.fixture(params=["sqlite", "postgresql"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two empty databases of one kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}", f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    if not PG_URL:
        from helpers import servers

        servers.missing("KEEPWARM_TEST_PG_URL not set (no PostgreSQL server)")
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    names = [f"kw_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield tuple(make_url(PG_URL).set(database=n).render_as_string(hide_password=False)
                    for n in names)  # type: ignore[misc]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_fresh_schema_is_the_migrated_one(urls: tuple[str, str]) -> None:
    fresh = Store(urls[0])  # an empty database: created in one step
    migrated = Store(urls[1], migrate=False)
    try:
        migrated.upgrade()  # every migration, from 0001
        assert fresh.is_current() and migrated.is_current()
        assert fresh.revision() == migrated.revision()
        assert _schema(fresh.engine) == _schema(migrated.engine)
    finally:
        fresh.dispose()
        migrated.dispose()


def test_a_fresh_store_migrates_down_and_up_again(urls: tuple[str, str]) -> None:
    from alembic import command

    store = Store(urls[0])
    try:
        store.migrate(command.downgrade, "0001")
        store.migrate(command.upgrade, "head")
        assert store.is_current()
    finally:
        store.dispose()


def test_a_database_holding_any_table_is_migrated_not_created(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'kw.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE other (x INTEGER)"))
    try:
        assert not fresh.create(engine, head_revisions())
        assert inspect(engine).get_table_names() == ["other"]  # untouched
        assert not fresh.create(engine, None)  # no head known: Alembic decides
        assert not fresh.create(engine, frozenset({"a", "b"}))  # two heads: likewise
    finally:
        engine.dispose()
