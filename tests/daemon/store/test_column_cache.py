"""The column cache (issue 13): whatever is inserted, changed or deleted between two reports,
the columns read through the cache equal those read from every row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from daemon.store import Store, columns
from daemon.store.columns import TouchpointColumns
from daemon.store.roles import exchanges, exchanges_of

from helpers.rows import reset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
FIELDS = ("contact", "t", "direction", "meeting", "group", "noise", "direct", "thread")
CHANGES = {  # column -> a new value for it, from a drawn integer
    "at": lambda n: T0 + timedelta(hours=n, microseconds=n * 250_000),
    "direction": lambda n: ("inbound", "outbound", "mutual")[n % 3],
    "thread_key": lambda n: None if n % 4 == 0 else f"k{n % 5}",
    "group_size": lambda n: 1 + n % 9,
    "contact_id": lambda n: 1 + n % 3,
    "bulk": lambda n: n % 2 == 0,
}


def _stored(store: Store, value: object) -> object:
    """A time as the writer stores it (SQLite: naive UTC text with microseconds)."""
    if store.sqlite and isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _same(a: TouchpointColumns, b: TouchpointColumns) -> None:
    assert a.contacts == b.contacts
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.tolist() == y.tolist(), name


def _check(store: Store) -> None:
    """A report's read (through the cache, which it may write) equals a read of every row."""
    cached = columns.touchpoint_columns(store)
    _same(cached, columns.touchpoint_columns(store, cached=False))


def _reset(store: Store) -> None:
    reset(store, {1: "P1", 2: "P2", 3: "P3"})


def _insert(store: Store, n: int, id_: int | None = None) -> None:
    with store.transaction() as s:
        item = s.execute(text("INSERT INTO items (identity, channel, at) VALUES (:i, 'email',"
                              " :at) RETURNING id"), {"i": f"i{n}-{id_}-{np.random.rand()}",
                                                      "at": _stored(store, CHANGES["at"](n))}
                         ).scalar_one()
        s.execute(text(
            "INSERT INTO touchpoints (" + ("id, " if id_ else "") + "item_id, contact_id,"
            " account_id, at, channel, direction, group_size, bulk, listed, direct, thread_key)"
            " VALUES (" + (":id, " if id_ else "") + ":item, :c, 1, :at, :ch, :d, :g, :b,"
            " :l, :di, :k)"),
            {"id": id_, "item": item, "c": CHANGES["contact_id"](n),
             "at": _stored(store, CHANGES["at"](n)),
             "ch": "meeting" if n % 7 == 0 else "email", "d": CHANGES["direction"](n),
             "g": CHANGES["group_size"](n), "b": CHANGES["bulk"](n), "l": n % 5 == 0,
             "di": n % 3 != 0, "k": CHANGES["thread_key"](n)})


def _ids(store: Store) -> list[int]:
    return [i for (i,) in store.rows("SELECT id FROM touchpoints ORDER BY id")]


OPS = st.lists(st.tuples(st.sampled_from(["insert", "insert", "change", "same", "delete",
                                          "late", "read"]),
                         st.integers(0, 10_000), st.sampled_from(sorted(CHANGES))),
               max_size=25)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_the_cached_columns_equal_a_full_read(store: Store, ops) -> None:
    _reset(store)
    for op, n, column in ops:
        ids = _ids(store)
        if op == "insert" or (not ids and op != "read"):
            _insert(store, n)
        elif op == "late":  # PostgreSQL: an id taken before one already cached, committed after
            if store.sqlite or ids[0] <= 1:
                continue
            free = sorted(set(range(1, ids[-1])) - set(ids))
            if free:
                _insert(store, n, free[n % len(free)])
        elif op in ("change", "same"):
            row = ids[n % len(ids)]
            value = CHANGES[column](n)
            with store.transaction() as s:
                s.execute(text(f"UPDATE touchpoints SET {column} = "
                               + (":v" if op == "change" else column) + " WHERE id = :id"),
                          {"v": _stored(store, value), "id": row})
        elif op == "delete":
            with store.transaction() as s:
                s.execute(text("DELETE FROM touchpoints WHERE id = :id"),
                          {"id": ids[n % len(ids)]})
        else:
            _check(store)
    _check(store)
    _check(store)


def test_a_second_read_takes_only_the_new_rows_from_the_table(store: Store,
                                                              monkeypatch) -> None:
    _reset(store)
    for n in range(5):
        _insert(store, n)
    columns.touchpoint_columns(store)
    first = store.rows("SELECT through_id, rows FROM column_cache")
    assert [tuple(r) for r in first] == [(max(_ids(store)), 5)]
    assert store.rows("SELECT count(*) FROM touchpoint_edits")[0][0] == 0
    _insert(store, 7)
    seen: list[int] = []
    name = "_sqlite" if store.sqlite else "_postgresql"
    read = getattr(columns, name)
    monkeypatch.setattr(columns, name, lambda cur, member, after: seen.append(after) or read(
        cur, member, after))
    _check(store)
    assert seen[0] == first[0][0]  # the cached read: only the row after the cache
    assert store.rows("SELECT rows FROM column_cache")[0][0] == 6


def test_an_insert_committed_after_a_later_one_was_cached_is_read(store: Store) -> None:
    """PostgreSQL gives ids before commit: a transaction holding a low id can commit after a
    report cached a higher one. Its insert logs its id, and the next read starts over."""
    if store.sqlite:
        pytest.skip("SQLite's writers are serialised: ids come in commit order")
    _reset(store)
    _insert(store, 1)
    slow = store.engine.connect()
    try:
        tx = slow.begin()
        slow.execute(text("INSERT INTO items (identity, channel, at) VALUES ('slow', 'email',"
                          " :at)"), {"at": T0})
        slow.execute(text("INSERT INTO touchpoints (item_id, contact_id, account_id, at,"
                          " channel, direction, group_size, bulk, listed, direct) SELECT id, 2,"
                          " 1, :at, 'email', 'inbound', 1, false, false, true FROM items"
                          " WHERE identity = 'slow'"), {"at": T0})
        _insert(store, 2)
        _check(store)  # caches through the second insert's id, past the slow one's
        tx.commit()
    finally:
        slow.close()
    _check(store)
    assert len(columns.touchpoint_columns(store).t) == 3


def test_one_members_edits_keep_the_others_cache(store: Store) -> None:
    _reset(store)
    _insert(store, 1)
    columns.touchpoint_columns(store)
    with store.transaction() as s:
        s.execute(text("INSERT INTO touchpoint_edits (member_id, low_id) VALUES (2, 0)"))
    assert columns.column_cache.read(store.engine.raw_connection().cursor(), store.member_id,
                                     "?" if store.sqlite else "%s") is not None


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ns=st.lists(st.integers(0, 400), min_size=1, max_size=30),
       hours=st.integers(0, 400), fraction=st.sampled_from([0, 250_000, 999_999]))
def test_exchanges_from_the_columns_equal_the_grouped_read(store: Store, ns, hours,
                                                           fraction) -> None:
    """Hidden's counts per contact from the frame's columns, or None in the one case they
    cannot tell (a touchpoint in the very second of a time that is not a whole second)."""
    _reset(store)
    for n in ns:
        _insert(store, n)
    before = CHANGES["at"](hours) + timedelta(microseconds=fraction) - timedelta(
        microseconds=hours * 250_000 % 1_000_000)
    got = exchanges_of(columns.touchpoint_columns(store), before)
    with store.session() as s:
        want = sorted(exchanges(s, before, store.member_id), key=lambda x: x.contact_id)
    if got is None:
        whole = before.replace(microsecond=0)
        assert fraction and any(CHANGES["at"](n).replace(microsecond=0) == whole for n in ns)
    else:
        assert got == want


def _sizes(store: Store) -> tuple[int, int, str]:
    """(bytes on disk, bytes, md5) of the stored cache."""
    size, length, digest = store.rows("SELECT pg_column_size(columns), octet_length(columns),"
                                      " md5(columns) FROM column_cache")[0]
    return int(size), int(length), str(digest)


def test_postgresql_keeps_the_cache_uncompressed_fresh_and_migrated(store: Store) -> None:
    """A report reads the cache whole: the server must not inflate it first (migration 0010).
    Downgraded, a rewritten value is compressed again; upgraded, it is stored as it is, with
    the same bytes."""
    if store.sqlite:
        pytest.skip("SQLite stores bytes as they are")
    from alembic import command

    _reset(store)
    for n in range(150):  # 3,600 bytes: past the size where the server compresses a value
        _insert(store, n)
    columns.touchpoint_columns(store)
    size, length, digest = _sizes(store)
    assert size >= length > 3000  # a fresh store: not compressed
    store.migrate(command.downgrade, "0009")
    with store.transaction() as s:
        s.execute(text("UPDATE column_cache SET columns = columns || ''::bytea"))
    assert _sizes(store)[0] < length  # the default storage compresses it
    store.migrate(command.upgrade, "head")
    assert _sizes(store) == (size, length, digest)
    _check(store)
