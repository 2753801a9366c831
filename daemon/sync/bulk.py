"""Statements a page's write runs in bulk on the driver, inside the session's transaction:
executemany for inserts and upserts, chunked IN-list lookups for ids. Values are converted as
SQLAlchemy Core converts them, without Core's per-statement compilation and per-row work
(several times faster on a page of a thousand records). Used by :mod:`daemon.sync.writer`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

CHUNK = 500  # stays below SQLite's bound-parameter limit per statement


Processor = tuple[Callable[[Any], Any] | None, Hashable]
Memo = dict[Hashable, dict[Any, Any]]  # conversion -> {value: converted}, for one page


def _processors(table: Table, columns: Sequence[str], dialect: Dialect) -> list[Processor]:
    """Each column's bind processor for ``dialect`` (the same conversion Core applies), with
    the key of its conversion: SQLAlchemy's own cache key of the column type, under which its
    statement cache shares compiled statements (``items.at`` and ``touchpoints.at`` share one)."""
    key = (table.name, tuple(columns), dialect.name)
    found = _PROCESSORS.get(key)
    if found is None:
        types = [table.c[c].type for c in columns]
        found = _PROCESSORS[key] = [
            (t.dialect_impl(dialect).bind_processor(dialect), t._static_cache_key)
            for t in types]
    return found


_PROCESSORS: dict[tuple[str, tuple[str, ...], str], list[Processor]] = {}


def executemany(session: Session, sql: str, table: Table, columns: Sequence[str],
                rows: Sequence[Sequence[Any]], memo: Memo | None = None) -> None:
    """Run ``sql`` (``?`` placeholders, one per column) once per row on the session's own
    connection, inside its transaction: the driver's executemany with each value converted as
    Core converts it, without Core's per-row parameter work (several times faster).
    ``memo`` keeps the conversions across the statements of one page: a message's time goes
    into items, touchpoints and contacts, and is converted once (SQLite formats each)."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    procs = _processors(table, columns, dialect)
    if any(proc for proc, _ in procs):  # by column, each distinct value once (they repeat)
        memo = {} if memo is None else memo
        cols = list(zip(*rows, strict=True))
        for i, (proc, key) in enumerate(procs):
            if proc is not None:
                done = memo.setdefault(key, {})
                for v in set(cols[i]).difference(done):
                    done[v] = proc(v)
                cols[i] = tuple(map(done.__getitem__, cols[i]))
        rows = list(zip(*cols, strict=True))
    if dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    conn.exec_driver_sql(sql, list(rows))  # type: ignore[arg-type]


def select(session: Session, sql: str, fixed: Sequence[Any], keys: Sequence[Any],
           table: Table | None = None, columns: Sequence[str] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` (``?`` placeholders: ``fixed``, then ``{keys}`` for a chunk of
    ``keys``), chunk by chunk on the session's own connection: the driver's query without
    Core's compilation of a long IN list. ``columns`` of ``table`` name the values to convert
    as Core converts them (datetimes); the others are ids and strings, returned as stored."""
    conn = session.connection()
    dialect = conn.dialect
    procs = ([table.c[c].type.dialect_impl(dialect).result_processor(dialect, None)
              for c in columns] if table is not None else [])
    rows: list[tuple[Any, ...]] = []
    for chunk in chunks(keys):
        query = sql.format(keys=", ".join("?" * len(chunk)))
        if dialect.paramstyle != "qmark":
            query = query.replace("?", "%s")
        result = conn.exec_driver_sql(query, (*fixed, *chunk))  # type: ignore[arg-type]
        found: Sequence[Any] = result.cursor.fetchall()  # the driver's tuples: no Row per row
        result.close()
        if any(procs):
            found = [tuple(p(v) if p else v for p, v in zip(procs, r, strict=True))
                     for r in found]
        rows += found
    return rows


def insert_sql(table: Table, columns: Sequence[str], tail: str) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks}) {tail}"


def chunks(seq: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]
