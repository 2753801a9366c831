"""A new, empty store gets the head schema in one step, not by replaying every migration.

``metadata.create_all`` of the models, the column cache's triggers (:mod:`daemon.store.edits`),
Alembic's version table stamped with the head revision (its own DDL, read without importing
Alembic) and the rows the migrations insert (member 1,
``me``), all in one transaction: a kill leaves either an empty database or a current store.
Only a database without any table takes this path; anything else (an old store, a foreign
database, a race lost to another process creating it) goes through Alembic as before.
``tests/daemon/store/test_fresh_schema.py`` checks that the result equals the migrated schema.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from daemon.store import edits
from daemon.store.models import Base
from daemon.store.sql import DEFAULT_MEMBER

# What Alembic's ``stamp`` creates, on every dialect Keepwarm supports.
VERSION_TABLE = ("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                 "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")


def create(engine: Engine, heads: frozenset[str] | None) -> bool:
    """Create the head schema on ``engine`` if its database holds no table; whether it did.
    False (nothing changed) when there is no single head, a table exists, or any statement
    fails: then migrating says what is wrong, as ever."""
    if heads is None or len(heads) != 1:
        return False
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":  # pysqlite runs DDL outside transactions
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # unless one is begun; and it locks
            if inspect(conn).get_table_names():
                return False
            Base.metadata.create_all(conn)
            for statement in (*edits.create(engine.dialect.name),
                              *edits.cache_storage(engine.dialect.name)):
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql(VERSION_TABLE)
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                         {"v": next(iter(heads))})
            conn.execute(text("INSERT INTO members (name) VALUES (:m)"), {"m": DEFAULT_MEMBER})
    except SQLAlchemyError:
        return False
    return True
