"""``status``, ``contacts`` and ``snooze`` on a current SQLite store run through stdlib
``sqlite3`` (no SQLAlchemy, no Alembic), and say byte for byte what the full store says."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

import daemon.store.light
from daemon.cli import main
from daemon.store import Store
from daemon.store.models import SentSummary
from tests.daemon.store.test_light import _store

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # a Wednesday of 2026-W48
ROOT = Path(__file__).parents[3]
RUNS = [["status"], ["contacts"], ["contacts", "--limit", "1"], ["contacts", "--duplicates"],
        ["snooze"], ["snooze", "Cy@Z.org", "2w"], ["snooze", "dee@z.org", "forever"], ["snooze"],
        ["unsnooze", "cy@z.org"], ["unsnooze", "DEE@z.org"], ["unsnooze", "cy@z.org"],
        ["snooze"], ["snooze", "not-an-address"], ["snooze", "cy@z.org", "2h"]]


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "kw.db"
    store = _store(path)
    with store.transaction() as s:  # this week's attempt, due again later; an earlier miss
        s.add(SentSummary(iso_week="2026-W48", sent_at=NOW, method="file", status="retrying",
                          attempts=1, attempted_at=NOW - timedelta(hours=1),
                          next_attempt_at=NOW + timedelta(minutes=10), last_error="disk full"))
        s.add(SentSummary(iso_week="2026-W47", sent_at=NOW, method="file", status="sending",
                          attempts=1, attempted_at=NOW - timedelta(days=7)))
    store.dispose()
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{path}"\n[delivery]\nmethod = "file"\n'
                      f'[[accounts]]\nname = "arch"\nkind = "mbox"\npath = "{tmp_path}/a.mbox"\n'
                      f'[[accounts]]\nname = "work"\nkind = "mbox"\npath = "{tmp_path}/w.mbox"\n')
    return config


def _outputs(config: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str, str]]:
    out = []
    with time_machine.travel(NOW, tick=False):
        for argv in RUNS:
            code = main(["--config", str(config), *argv])
            out.append((code, *capsys.readouterr()))
    return out


def test_both_paths_say_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path)
    opened: list[object] = []
    real = daemon.store.light.open_light
    monkeypatch.setattr(daemon.store.light, "open_light",
                        lambda url, member="me": opened.append(real(url, member))
                        or opened[-1])
    light = _outputs(config, capsys)  # the sequence leaves the snoozes as it found them
    assert opened and all(opened)  # every command ran on the light path
    monkeypatch.setattr(daemon.store.light, "open_light", lambda url, member="me": None)
    full = _outputs(config, capsys)
    assert light == full
    text = "".join(o for _, o, _ in light)
    assert "ada@x.org\tuntil 2026-12-07 08:00 UTC" in text and "boom" in text  # not empty
    assert "summary of 2026-W48 not delivered yet" in text
    assert "arch: configured, never synced" in text and "Snoozed cy@z.org until" in text


PROBE = """
import sys
from daemon.cli import main
codes = [main(a.split()) for a in sys.argv[1:]]
print("LOADED=" + ",".join(m for m in ("sqlalchemy", "alembic") if m in sys.modules), codes)
"""


def test_the_light_path_loads_neither_sqlalchemy_nor_alembic(tmp_path: Path) -> None:
    config = _config(tmp_path)
    runs = ["status", "contacts", "contacts --duplicates", "snooze", "snooze cy@z.org 2w",
            "unsnooze cy@z.org"]
    out = subprocess.run([sys.executable, "-c", PROBE, *(f"--config {config} {r}" for r in runs)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "LOADED= [0, 0, 0, 0, 0, 0]"


def test_a_store_not_at_head_is_opened_by_the_full_store(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}", migrate=False)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    store.dispose()
    done = subprocess.run([sys.executable, "-c", PROBE, f"--config {config} snooze"],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "LOADED=sqlalchemy,alembic [1]"  # Alembic read it
    assert "written by a newer Keepwarm (revision 0099)" in done.stderr
