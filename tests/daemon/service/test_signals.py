"""``keepwarm run`` as a real subprocess: SIGTERM mid-sync stops it within 10 s with exit 0,
the page in hand committed, and the stored cursor exactly at the committed rows; a later run
resumes to the full archive. SIGHUP with a bad config keeps the daemon running."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from connectors.base import Env
from daemon import config as config_mod
from daemon.store import Store
from daemon.sync.engine import Engine

from helpers.daemons import start_daemon

ROOT = Path(__file__).parents[3]
N = 40_000  # about ten seconds of importing: long enough to be stopped in the middle


def message(i: int) -> str:
    """Every message has the same length, so an mbox offset says how many came before."""
    return (f"From x@y Mon Jan  1 00:00:00 2024\nFrom: P <p{i % 1000:04d}@client.example>\n"
            f"To: me@example.com\nDate: Mon, 06 Jan 2025 10:{i % 60:02d}:00 +0000\n"
            f"Message-ID: <{i:08d}@client.example>\n\nbody\n\n")


def setup(tmp_path: Path) -> tuple[Path, Path, int]:
    mbox = tmp_path / "archive.mbox"
    with mbox.open("w") as fh:
        fh.writelines(message(i) for i in range(N))
    cfg = tmp_path / "config.toml"
    cfg.write_text('[me]\naddresses = ["me@example.com"]\n[daemon]\nlog_level = "INFO"\n'
                   f'[[accounts]]\nname = "arch"\nkind = "mbox"\npath = "{mbox}"\n')
    return cfg, tmp_path / "state", len(message(0))


def start(cfg: Path, state: Path) -> subprocess.Popen[bytes]:
    return start_daemon(cfg, {**os.environ, "XDG_STATE_HOME": str(state)})


def wait_for(check, proc: subprocess.Popen[bytes], limit: float = 60) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def stream(db: Path) -> tuple[str | None, int, int] | None:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            row = conn.execute("select cursor, records_seen from streams").fetchone()
            sources = conn.execute("select count(*) from item_sources").fetchone()[0]
    except sqlite3.Error:
        return None
    return (row[0], row[1], sources) if row else None


def account_status(db: Path) -> str | None:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            row = conn.execute("select status from accounts").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def test_sigterm_mid_sync_commits_the_page_in_hand(tmp_path: Path) -> None:
    cfg, state, size = setup(tmp_path)
    db = state / "keepwarm" / "keepwarm.db"
    proc = start(cfg, state)
    mid = wait_for(lambda: (s := stream(db)) is not None and s[0] is not None, proc)
    assert mid, "the daemon never committed a page"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    log = proc.stderr.read().decode() if proc.stderr else ""
    assert "SIGTERM: stopping" in log
    cursor, seen, sources = stream(db)  # type: ignore[misc]
    pos = json.loads(cursor)["pos"]
    assert pos is not None, "the sync finished before SIGTERM: make N larger"
    assert pos[1] == seen * size  # the cursor points right after the committed rows
    assert sources == seen and 0 < seen < N

    config = config_mod.load(cfg)  # resume: the rest, and nothing twice
    store = Store(f"sqlite:///{db}")
    [result] = Engine(store, config, Env(state_dir=state / "keepwarm")).sync()
    store.dispose()
    assert result.status == "ok"
    cursor, seen, sources = stream(db)  # type: ignore[misc]
    assert seen == sources == N


def test_sighup_with_a_bad_config_keeps_running(tmp_path: Path) -> None:
    cfg, state, _ = setup(tmp_path)
    cfg.write_text(cfg.read_text().replace(str(tmp_path / "archive.mbox"), "/nonexistent"))
    proc = start(cfg, state)
    db = state / "keepwarm" / "keepwarm.db"
    assert wait_for(lambda: account_status(db) == "error", proc), "the daemon never synced"
    cfg.write_text("[report]\ntop = 0\n")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(  # type: ignore[arg-type]
        line.decode() for line in proc.stderr), daemon=True)  # type: ignore[union-attr]
    reader.start()
    proc.send_signal(signal.SIGHUP)
    # It rejects the config and keeps running; only then is it asked to stop, so the test
    # does not depend on the order in which two signals sent together are handled.
    rejected = wait_for(lambda: any("config reload rejected" in line for line in lines), proc)
    assert proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    reader.join(timeout=5)
    if not rejected:
        pytest.fail("no rejection logged:\n" + "".join(lines))
