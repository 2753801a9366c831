"""The quick path opens only a current SQLite store, and reads what the full store reads."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import text

from daemon.store import Store, contacts, health, sent, snoozes
from daemon.store.db import MIGRATIONS
from daemon.store.light import HEAD, LightStore, open_light, sqlite_file
from daemon.store.models import Account, Contact, Item, SentSummary, Stream, Touchpoint
from daemon.store.vocab import AccountStatus, Channel, Direction

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_head_is_alembics_head() -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_heads() == [HEAD]


@pytest.mark.parametrize("url", [None, "", "sqlite://", "sqlite:///:memory:",
                                 "sqlite+pysqlite:///kw.db", "sqlite:///kw.db?mode=ro",
                                 "sqlite:///k%20w.db", "postgresql+psycopg://u:p@h/db"])
def test_only_a_plain_sqlite_file_url_is_light(url: str | None) -> None:
    assert sqlite_file(url) is None


def _store(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    with store.transaction() as s:
        acc = Account(name="work", kind="imap", status=AccountStatus.ERROR, last_error="boom",
                      last_error_fix="fix it", last_success_at=NOW - timedelta(days=2))
        s.add(acc)
        s.flush()
        s.add(Stream(account_id=acc.id, key="work/mail", cursor="7", records_seen=3,
                     touchpoints_written=2, skipped='{"too_large": 1}',
                     last_success_at=NOW - timedelta(days=2, microseconds=5)))
        s.add(Stream(account_id=acc.id, key="work/cal", cursor=None))
        ada = Contact(address="ada@x.org", display_name="Ada L", first_seen=NOW - timedelta(30))
        bob = Contact(address="bob@y.org", first_seen=NOW - timedelta(days=9))
        s.add_all([ada, bob])
        s.flush()
        for i, (who, channel, direction, bulk, days) in enumerate([
                (ada, Channel.EMAIL, Direction.INBOUND, False, 3),
                (ada, Channel.EMAIL, Direction.OUTBOUND, False, 2),
                (ada, Channel.MEETING, Direction.MUTUAL, False, -1),  # upcoming: not counted
                (bob, Channel.EMAIL, Direction.INBOUND, True, 1),  # bulk: not counted
                (bob, Channel.MEETING, Direction.MUTUAL, False, 0)]):
            at = NOW - timedelta(days=days)
            item = Item(identity=f"i{i}", channel=channel, at=at)
            s.add(item)
            s.flush()
            s.add(Touchpoint(item_id=item.id, contact_id=who.id, account_id=acc.id, at=at,
                             channel=channel, direction=direction, bulk=bulk))
        s.add(SentSummary(iso_week="2026-W46", sent_at=NOW - timedelta(days=8), method="file",
                          status="failed", attempts=3, last_error="no route"))
    snoozes.add(store, "ada@x.org", NOW + timedelta(weeks=2))
    snoozes.add(store, "bob@y.org", None)
    return store


def test_light_and_full_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "kw.db"
    store = _store(path)
    light = open_light(f"sqlite:///{path}")
    assert isinstance(light, LightStore)
    try:
        with store.session() as s:  # the summary's and doctor's way in: an ORM session
            assert health.sync_state(light) == health.sync_state(s) == health.sync_state(store)
        assert contacts.contact_rows(light, now=NOW) == contacts.contact_rows(store, now=NOW)
        assert [r.address for r in contacts.contact_rows(light, now=NOW)] == ["ada@x.org",
                                                                              "bob@y.org"]
        assert contacts.contact_rows(light, 1, now=NOW) == contacts.contact_rows(store, 1, NOW)
        assert contacts.touchpoint_counts(light) == contacts.touchpoint_counts(store)
        assert snoozes.active(light, NOW) == snoozes.active(store, NOW)
        assert sent.undelivered(light, "2026-W48") == sent.undelivered(store, "2026-W48")
        assert sent.week(light, "2026-W46") == sent.week(store, "2026-W46") is not None
        snoozes.add(light, "cy@z.org", NOW + timedelta(days=1))
        assert snoozes.active(store, NOW)["cy@z.org"] == NOW + timedelta(days=1)
        assert snoozes.remove(light, "cy@z.org") and not snoozes.remove(store, "cy@z.org")
    finally:
        if light:
            light.close()
        store.dispose()


def test_a_store_not_at_head_is_left_to_the_full_store(tmp_path: Path) -> None:
    path = tmp_path / "kw.db"
    assert open_light(f"sqlite:///{path}") is None  # absent: the full store creates it
    Store(f"sqlite:///{path}").dispose()
    for behind_or_newer in ("0004", "9999"):
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("UPDATE alembic_version SET version_num = ?", (behind_or_newer,))
        assert open_light(f"sqlite:///{path}") is None
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TABLE alembic_version")
    assert open_light(f"sqlite:///{path}") is None
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    assert open_light(f"sqlite:///{junk}") is None


def test_sqlite_text_instants_compare_as_the_orm_writes_them(tmp_path: Path) -> None:
    store = _store(tmp_path / "kw.db")
    try:
        with store.engine.connect() as conn:  # what SQLAlchemy's DateTime wrote
            stored = conn.execute(text("SELECT until FROM snoozes WHERE address = 'ada@x.org'"))
            assert stored.scalar() == "2026-12-07 08:00:00.000000"
        # a snooze ending exactly now is over; one a microsecond later is not
        assert "ada@x.org" not in snoozes.active(store, NOW + timedelta(weeks=2))
        assert "ada@x.org" in snoozes.active(store, NOW + timedelta(weeks=2, microseconds=-1))
    finally:
        store.dispose()
