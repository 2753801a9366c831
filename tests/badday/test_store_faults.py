"""Bad days in the store: damaged, not a database, locked, read-only, full, unreachable, newer.

Each gives one line and the hint that fixes it (never ``keepwarm db upgrade`` when upgrading
cannot help), and no traceback on the terminal or in the log.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
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


@pytest.mark.parametrize("command", ["status", "sync", "report"])
def test_a_damaged_store_is_one_line_with_the_way_out(bad_day: BadDay, damaged: Path,
                                                      command: str) -> None:
    out = bad_day.fails(command, code=1, hint="keepwarm db export", says="damaged")
    assert str(damaged) in out.stderr and "keepwarm sync" in out.stderr


def test_doctor_says_the_store_is_damaged_and_what_to_do(bad_day: BadDay, damaged: Path
                                                         ) -> None:
    out = bad_day.run("doctor")
    assert out.code == 1 and "Traceback" not in out.stdout + out.stderr, out
    store_lines = [ln for ln in out.stdout.splitlines() if "damaged" in ln]
    assert len(store_lines) == 1 and store_lines[0].startswith("FIX"), out.stdout
    assert "backup" in store_lines[0] and "keepwarm db export" in store_lines[0]


def test_snoozes_and_ledger_are_exported_from_a_damaged_store(bad_day: BadDay,
                                                              damaged: Path) -> None:
    out = bad_day.run("db", "export")
    assert out.code == 0, out
    data = json.loads(out.stdout)
    assert [s["address"] for s in data["snoozes"]] == ["kept@example.org", "later@example.org"]
    assert [w["iso_week"] for w in data["sent_summaries"]] == ["2026-W40"]


def test_export_keeps_what_it_can_read_and_says_what_it_cannot(bad_day: BadDay) -> None:
    path = bad_day.home / "kw.db"
    _real_store(path)
    _damage(path, keep={"sent_summaries"})
    _config(bad_day, f"sqlite:///{path}")
    out = bad_day.run("db", "export")
    assert out.code == 0 and json.loads(out.stdout)["sent_summaries"], out
    assert out.stderr.startswith("keepwarm: warning: snoozes: read 0 rows, the rest is "
                                 "unreadable"), out.stderr
    _damage(path, keep=set())
    bad_day.fails("db", "export", code=1, hint="backup", says="nothing can be read")


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


def test_a_file_that_is_not_a_database(bad_day: BadDay) -> None:
    path = bad_day.home / "kw.db"
    path.write_text("these are my notes, not a Keepwarm store\n" * 100)
    _config(bad_day, f"sqlite:///{path}")
    for command in ("status", "sync", "report"):
        out = bad_day.fails(command, code=1, hint="[store] url", says="not a SQLite database")
        assert "db upgrade" not in out.stderr
    doctor = bad_day.run("doctor")
    assert doctor.code == 1 and "not a SQLite database" in doctor.stdout, doctor


def test_a_store_folder_that_cannot_be_created(bad_day: BadDay) -> None:
    _config(bad_day, "sqlite:////proc/x/kw.db")
    bad_day.fails("status", code=1, hint="[store] url", says="/proc/x")
    bad_day.fails("sync", code=1, hint="permissions", says="/proc/x")
    doctor = bad_day.run("doctor")
    assert doctor.code == 1 and "FIX  store folder /proc/x cannot be created" in doctor.stdout


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB file system of its own (skipped where mounting is not permitted)."""
    where = tmp_path / "small"
    where.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs",
                        str(where)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("cannot mount a tmpfs here (not root, or no permission)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False, capture_output=True)


def test_a_read_only_parent_folder(bad_day: BadDay, tmpfs: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    _config(bad_day, f"sqlite:///{tmpfs}/sub/kw.db")
    bad_day.fails("status", code=1, hint="permissions", says=f"{tmpfs}/sub")
    _config(bad_day, f"sqlite:///{tmpfs}/kw.db")  # the folder is there, the file cannot be
    bad_day.fails("status", code=1, hint="permissions",
                  says=f"store file {tmpfs}/kw.db cannot be created: read-only file system")


def test_a_read_only_store_names_the_permission(bad_day: BadDay, tmpfs: Path) -> None:
    _real_store(tmpfs / "kw.db")
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    _config(bad_day, f"sqlite:///{tmpfs}/kw.db")
    for command in ("status", "sync"):
        out = bad_day.fails(command, code=1, hint="writable", says="read-only")
        assert "db upgrade" not in out.stderr


def _fill(where: Path, room: int) -> None:
    """Leave only ``room`` bytes free on the file system at ``where``."""
    stat = os.statvfs(where)
    (where / "filler").write_bytes(b"\0" * max(0, stat.f_bavail * stat.f_frsize - room))


def test_a_full_disk_is_one_clean_line(bad_day: BadDay, tmpfs: Path) -> None:
    _fill(tmpfs, 64 * 1024)  # not even room for the tables
    _config(bad_day, f"sqlite:///{tmpfs}/kw.db")
    out = bad_day.fails("sync", code=1, hint="free some space", says="full")
    assert "db upgrade" not in out.stderr and "CREATE TABLE" not in out.stderr


def test_a_disk_that_fills_during_a_sync_is_one_log_line(bad_day: BadDay, tmpfs: Path
                                                         ) -> None:
    _real_store(tmpfs / "kw.db")  # migrated while there was room
    _fill(tmpfs, 48 * 1024)
    _config(bad_day, f"sqlite:///{tmpfs}/kw.db")
    out = bad_day.fails("sync", code=1, hint="free some space", says="full")
    assert "arch" in out.stderr


@pytest.fixture
def locked(bad_day: BadDay) -> Iterator[Path]:
    """A store another process holds in an exclusive transaction."""
    path = bad_day.home / "kw.db"
    _real_store(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield path
    finally:
        holder.rollback()
        holder.close()


def test_a_locked_store_stops_sync_with_one_line(bad_day: BadDay, locked: Path) -> None:
    _config(bad_day, f"sqlite:///{locked}")
    bad_day.fails("sync", code=1, hint="try again", says="another process", env=SHORT_WAIT)


def test_a_locked_store_stops_send_summary_with_one_line(bad_day: BadDay, locked: Path
                                                         ) -> None:
    _config(bad_day, f"sqlite:///{locked}",
            f'[report]\nweekday = "mon"\ntime = "00:00"\ntimezone = "UTC"\n'
            f'[delivery]\nmethod = "file"\nfolder = "{bad_day.home / "out"}"\n')
    bad_day.fails("send-summary", code=1, hint="try again", says="another process",
                  env=SHORT_WAIT)


def test_a_store_written_by_a_newer_keepwarm(bad_day: BadDay) -> None:
    path = bad_day.home / "kw.db"
    _real_store(path)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE alembic_version SET version_num = 'f00dfeed0099'")
    _config(bad_day, f"sqlite:///{path}")
    for command in ("status", "db upgrade"):
        out = bad_day.fails(*command.split(), code=1, hint="upgrade Keepwarm",
                            says="written by a newer Keepwarm (revision f00dfeed0099)")
        assert "keepwarm db upgrade" not in out.stderr
    doctor = bad_day.run("doctor")
    assert doctor.code == 1 and "newer Keepwarm (revision f00dfeed0099)" in doctor.stdout


def test_an_unreachable_postgresql_server_names_host_and_port(bad_day: BadDay) -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _config(bad_day, f"postgresql+psycopg://kw:hunter2@127.0.0.1:{port}/kw")
    out = bad_day.fails("status", code=1, hint="[store] url", says=f"127.0.0.1:{port}")
    assert "hunter2" not in out.stderr and "db upgrade" not in out.stderr
    doctor = bad_day.run("doctor")
    assert f"127.0.0.1:{port}" in doctor.stdout and "hunter2" not in doctor.stdout


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, migrated database on the test server (skipped when none is configured)."""
    url = os.environ.get("KEEPWARM_TEST_PG_URL")
    if not url:
        from helpers import servers

        servers.missing("KEEPWARM_TEST_PG_URL not set (no PostgreSQL server)")
    from tests.conftest import _pg_store

    stores = _pg_store(url)
    store = next(stores)
    store.dispose()
    try:
        yield store.url
    finally:
        next(stores, None)


def test_a_server_that_refuses_writes_is_read_only_not_db_upgrade(bad_day: BadDay,
                                                                  pg_database: str) -> None:
    read_only = pg_database + "?options=-c%20default_transaction_read_only%3Don"
    _config(bad_day, read_only)
    out = bad_day.fails("snooze", "someone@example.org", code=1, hint="accepts writes",
                        says="read-only")
    assert "keepwarm:keepwarm" not in out.stderr and "db upgrade" not in out.stderr
