"""Bad days in the store: damaged, not a database, locked, read-only, full, unreachable, newer.

Each gives one line and the hint that fixes it (never ``keepwarm db upgrade`` when upgrading
cannot help), and no traceback on the terminal or in the log.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.badday.conftest import BadDay

SHORT_WAIT = {"KEEPWARM_TEST_BUSY_TIMEOUT_MS": "300"}  # the real wait is 10 s


def _config(bad_day: BadDay, url: str, extra: str = "") -> None:
    mbox = bad_day.home / "m.mbox"
    if not mbox.exists():
        mbox.write_text("".join(
            f"From x@x Mon Jan  1 00:00:00 2024\nFrom: p{i}@example.org\nTo: me@example.com\n"
            f"Date: Mon, 1 Jan 2024 12:00:00 +0000\nMessage-ID: <m{i}@x>\n\nbody\n\n"
            for i in range(400)))
    bad_day.write_config(f'[store]\nurl = "{url}"\n[me]\naddresses = ["me@example.com"]\n'
                         f'[[accounts]]\nname = "arch"\nkind = "mbox"\npath = "{mbox}"\n{extra}')


def _real_store(path: Path) -> None:
    """A migrated store with two snoozes and a ledger row, checkpointed into one file."""
    from daemon.store import Store, snoozes
    from daemon.store.models import SentSummary

    store = Store(f"sqlite:///{path}")
    snoozes.add(store, "kept@example.org", None)
    snoozes.add(store, "later@example.org", datetime(2031, 1, 1, tzinfo=UTC))
    with store.transaction() as s:
        s.add(SentSummary(iso_week="2026-W40", sent_at=datetime(2026, 9, 28, 8, tzinfo=UTC),
                          method="file", message_id="<w40@keepwarm>"))
    store.dispose()
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _damage(path: Path, keep: set[str]) -> None:
    """Overwrite the pages of every table and index except those of ``keep`` (and page 1,
    the schema) with garbage, as a failing disk or a bad copy would."""
    with closing(sqlite3.connect(path)) as db:
        size = db.execute("PRAGMA page_size").fetchone()[0]
        roots = db.execute("SELECT tbl_name, rootpage FROM sqlite_master WHERE rootpage > 0"
                           ).fetchall()
    with open(path, "r+b") as fh:
        for table, page in roots:
            if table not in keep:
                fh.seek((page - 1) * size)
                fh.write(bytes([0xA5]) * size)


@pytest.fixture(params=["at open", "when read"])
def damaged(request: pytest.FixtureRequest, bad_day: BadDay) -> Path:
    """A real store with its middle pages overwritten: the version table too ("at open"), or
    only the data ("when read"); snoozes and the ledger survive."""
    path = bad_day.home / "kw.db"
    _real_store(path)
    keep = {"snoozes", "sent_summaries"} | ({"alembic_version"}
                                          if request.param == "when read" else set())
    _damage(path, keep)
    _config(bad_day, f"sqlite:///{path}")
    return path


def test_snoozes_and_ledger_are_exported_from_a_damaged_store(bad_day: BadDay,
                                                              damaged: Path) -> None:
    out = bad_day.run("db", "export")
    assert out.code == 0, out
    data = json.loads(out.stdout)
    assert [s["address"] for s in data["snoozes"]] == ["kept@example.org", "later@example.org"]
    assert [w["iso_week"] for w in data["sent_summaries"]] == ["2026-W40"]


def test_export_then_import_into_a_fresh_store_is_idempotent(bad_day: BadDay) -> None:
    old = bad_day.home / "old.db"
    _real_store(old)
    _config(bad_day, f"sqlite:///{old}")
    saved = bad_day.home / "saved.json"
    assert bad_day.run("db", "export", str(saved)).code == 0
    assert saved.stat().st_mode & 0o777 == 0o600
    _config(bad_day, f"sqlite:///{bad_day.home / 'new.db'}")
    first, second = bad_day.run("db", "import", str(saved)), bad_day.run("db", "import",
                                                                         str(saved))
    assert first.code == second.code == 0, (first, second)
    assert "2 snoozes" in first.stdout and "0 snoozes" in second.stdout, second.stdout
    listed = bad_day.run("snooze")
    assert "kept@example.org" in listed.stdout and "later@example.org" in listed.stdout
