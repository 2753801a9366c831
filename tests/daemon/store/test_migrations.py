"""Migrations carry an existing store forward (and back) without losing a row."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import text

from daemon.store import Store

HEAD = "0010"
MBOX_FIX = "fix `path` of the [[accounts]] entry name = 'arch' (kind = 'mbox')"
OLD = {  # name -> (status, last_error as revision 0001 stored it)
    "work": ("needs_reauth", "token expired (fix: keepwarm auth work)"),
    "arch": ("error", f"mbox archive /x does not exist (fix: {MBOX_FIX})"),
    "cal": ("error", "RuntimeError: boom"),
    "odd": ("error", "weird (fix: a) b"),  # no fix tail: kept whole
    "fine": ("ok", None),
}
SPLIT = {  # name -> (last_error, last_error_fix) from revision 0002 on
    "work": ("token expired", "keepwarm auth work"),
    "arch": ("mbox archive /x does not exist", MBOX_FIX),
    "cal": ("RuntimeError: boom", None),
    "odd": ("weird (fix: a) b", None),
    "fine": (None, None),
}


def _alembic(store: Store, action: Callable[[AlembicConfig, str], None], revision: str) -> None:
    store.migrate(action, revision)


def _rows(store: Store, columns: str) -> dict[str, tuple[str | None, ...]]:
    with store.engine.connect() as conn:
        return {name: tuple(rest) for name, *rest in conn.execute(
            text(f"SELECT name, {columns} FROM accounts"))}


def _streams(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM streams")).scalar_one())


def test_0002_splits_the_fix_off_the_error_and_back(store: Store) -> None:
    _alembic(store, command.downgrade, "0001")
    with store.engine.begin() as conn:
        for name, (status, error) in OLD.items():
            conn.execute(text("INSERT INTO accounts (name, kind, status, last_error) "
                              "VALUES (:n, 'mbox', :s, :e)"), {"n": name, "s": status, "e": error})
        conn.execute(text("INSERT INTO streams (account_id, key, records_seen, "
                          "touchpoints_written, skipped) SELECT id, 'work/mail', 3, 3, '{}' "
                          "FROM accounts WHERE name = 'work'"))
    _alembic(store, command.upgrade, "head")
    assert store.revision() == (HEAD, HEAD)
    assert _rows(store, "last_error, last_error_fix") == SPLIT
    assert {n: s for n, (s,) in _rows(store, "status").items()} == {
        n: s for n, (s, _) in OLD.items()}
    _alembic(store, command.downgrade, "0001")
    assert _rows(store, "last_error") == {n: (e,) for n, (_, e) in OLD.items()}
    assert _streams(store) == 1  # the accounts table was altered in place, not copied
    _alembic(store, command.upgrade, "head")
    assert _rows(store, "last_error, last_error_fix") == SPLIT


def test_opening_an_old_store_migrates_it(store: Store) -> None:
    _alembic(store, command.downgrade, "0001")
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO accounts (name, kind, status, last_error) VALUES "
                          "('work', 'google', 'needs_reauth', :e)"), {"e": OLD["work"][1]})
    reopened = Store(store.url)
    try:
        assert reopened.revision() == (HEAD, HEAD)
        assert _rows(reopened, "last_error, last_error_fix") == {"work": SPLIT["work"]}
    finally:
        reopened.dispose()


def test_0004_gives_each_source_id_its_stream(store: Store) -> None:
    _alembic(store, command.downgrade, "0003")
    with store.engine.begin() as conn:
        run = lambda sql: conn.execute(text(sql))  # noqa: E731
        run("INSERT INTO accounts (id, name, kind, status) VALUES (1, 'work', 'google', 'ok'), "
            "(2, 'arch', 'mbox', 'ok')")
        run("INSERT INTO streams (id, account_id, key, records_seen, touchpoints_written, "
            "skipped) VALUES (10, 1, 'work/mail', 0, 0, '{}'), (11, 1, 'work/calendar', 0, 0, "
            "'{}'), (12, 2, 'arch/mail', 0, 0, '{}')")
        run("INSERT INTO items (id, identity, channel, at) VALUES (1, 'm1', 'email', "
            "'2024-01-01'), (2, 'e1', 'meeting', '2024-01-02'), (3, 'm3', 'email', '2024-01-03')")
        run("INSERT INTO item_sources (account_id, source_id, item_id) VALUES (1, 'a', 1), "
            "(1, 'b', 2), (2, 'c', 1), (2, 'd', 3)")
    _alembic(store, command.upgrade, "head")
    with store.engine.connect() as conn:
        got = dict(conn.execute(text("SELECT source_id, stream_id FROM item_sources")).all())
        rounds = set(conn.execute(text("SELECT listing_round FROM item_sources")).scalars())
        opened = set(conn.execute(text("SELECT listing_open FROM streams")).scalars())
    assert got == {"a": 10, "b": 11, "c": 12, "d": 12}
    assert rounds == {0} and opened == {False}
    _alembic(store, command.downgrade, "0003")
    _alembic(store, command.upgrade, "head")


def test_0005_keeps_old_ledger_rows_as_sent(store: Store) -> None:
    _alembic(store, command.downgrade, "0004")
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO sent_summaries (iso_week, sent_at, method, message_id) "
                          "VALUES ('2026-W47', '2026-11-16 07:00:00', 'smtp', '<a@b>')"))
    _alembic(store, command.upgrade, "head")
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT status, attempts, next_attempt_at, last_error "
                                "FROM sent_summaries")).one()
        leases = conn.execute(text("SELECT count(*) FROM daemon_leases")).scalar_one()
    assert tuple(row) == ("sent", 0, None, None) and leases == 0
    _alembic(store, command.downgrade, "0004")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT iso_week FROM sent_summaries")).scalars().all() == [
            "2026-W47"]
    _alembic(store, command.upgrade, "head")


def test_0006_adds_the_mailed_ignores_and_the_command_ledger(store: Store) -> None:
    _alembic(store, command.downgrade, "0005")
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO snoozes (address, until) VALUES ('a@x.org', NULL)"))
    _alembic(store, command.upgrade, "head")
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO ignores (kind, value, added_at) VALUES "
                          "('domain', 'x.org', '2026-12-01 05:00:00')"))
        conn.execute(text("INSERT INTO mailed_commands (token, command, contact, target, "
                          "identity, sent_at, done_at) VALUES ('t', 'ignoredomain', 'a@x.org', "
                          "'x.org', 'mid:1', '2026-12-01 04:00:00', '2026-12-01 05:00:00')"))
        snoozed = conn.execute(text("SELECT address FROM snoozes")).scalars().all()
    assert snoozed == ["a@x.org"]
    _alembic(store, command.downgrade, "0005")
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT address FROM snoozes")).scalars().all() == ["a@x.org"]
    _alembic(store, command.upgrade, "head")


def test_0007_makes_a_store_a_team_of_one_and_keys_rows_by_member(store: Store) -> None:
    """Every row of a single-user store becomes member 1's ('me'): nothing is lost (the
    SQLite table copies must not cascade into touchpoints), and from then on two members may
    each hold the same address, message, snooze and week."""
    _alembic(store, command.downgrade, "0006")
    with store.engine.begin() as conn:
        for sql in (
            "INSERT INTO accounts (id, name, kind, status) VALUES (1, 'arch', 'mbox', 'ok')",
            "INSERT INTO contacts (id, address, display_name) VALUES (1, 'ada@x.org', 'Ada')",
            "INSERT INTO items (id, identity, channel, at) VALUES "
            "(1, 'mid:1', 'email', '2026-11-01 09:00:00')",
            "INSERT INTO item_sources (account_id, source_id, item_id) VALUES (1, 's1', 1)",
            "INSERT INTO touchpoints (item_id, contact_id, account_id, at, channel, direction,"
            " group_size, bulk, listed, direct) VALUES (1, 1, 1, '2026-11-01 09:00:00',"
            " 'email', 'inbound', 1, false, false, true)",
            "INSERT INTO snoozes (address, until) VALUES ('ada@x.org', NULL)",
            "INSERT INTO sent_summaries (iso_week, sent_at, method) VALUES "
            "('2026-W47', '2026-11-16 07:00:00', 'file')",
        ):
            conn.execute(text(sql))
    _alembic(store, command.upgrade, "head")
    count = "SELECT count(*), min(member_id), max(member_id) FROM "
    with store.engine.begin() as conn:
        for table in ("accounts", "contacts", "items", "touchpoints", "snoozes",
                      "sent_summaries"):
            assert tuple(conn.execute(text(count + table)).one()) == (1, 1, 1), table
        assert conn.execute(text("SELECT count(*) FROM item_sources")).scalar_one() == 1
        assert conn.execute(text("SELECT name FROM members")).scalars().all() == ["me"]
        conn.execute(text("INSERT INTO members (id, name) VALUES (2, 'alice')"))
        for sql in (  # the same keys again, as member 2's: allowed now
            "INSERT INTO contacts (id, member_id, address, display_name) VALUES "
            "(2, 2, 'ada@x.org', '')",
            "INSERT INTO items (id, member_id, identity, channel, at) VALUES "
            "(2, 2, 'mid:1', 'email', '2026-11-01 09:00:00')",
            "INSERT INTO snoozes (member_id, address, until) VALUES (2, 'ada@x.org', NULL)",
            "INSERT INTO sent_summaries (member_id, iso_week, sent_at, method) VALUES "
            "(2, '2026-W47', '2026-11-16 07:00:00', 'file')",
        ):
            conn.execute(text(sql))
    assert store.scoped("alice").member_id == 2 and store.member_id == 1
    _alembic(store, command.downgrade, "0006")  # back to one user: member 1's rows stay
    with store.engine.connect() as conn:
        for table in ("contacts", "items", "touchpoints", "snoozes", "sent_summaries"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 1, table
    _alembic(store, command.upgrade, "head")
