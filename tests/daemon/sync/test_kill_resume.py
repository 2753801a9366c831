"""The kill-and-resume proof: SIGKILL a real `keepwarm sync` mid-import, run it again, and get
exactly the store an uninterrupted run produces."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
N = 6000
BASE = datetime(2024, 1, 1, tzinfo=UTC)


def write_mbox(path: Path, n: int) -> None:
    people = [f"person{i}@client{i % 17}.example" for i in range(300)]
    with path.open("w") as fh:
        for i in range(n):
            other = people[(i * 7) % len(people)]
            frm, to = ("me@example.com", other) if i % 3 == 0 else (other, "me@example.com")
            date = format_datetime(BASE + timedelta(minutes=37 * i))
            fh.write(f"From sender@x Mon Jan  1 00:00:00 2024\nFrom: P <{frm}>\nTo: {to}\n"
                     f"Cc: colleague{i % 5}@example.com\n"
                     f"Date: {date}\n"
                     f"Message-ID: <msg{i}@example.com>\nSubject: s\n\nbody line\n\n")


def config(tmp: Path, mbox: Path) -> Path:
    cfg = tmp / "config.toml"
    cfg.write_text(f'[me]\naddresses = ["me@example.com"]\n\n[[accounts]]\nname = "arch"\n'
                   f'kind = "mbox"\npath = "{mbox}"\n')
    return cfg


def run(cfg: Path, state: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "XDG_STATE_HOME": str(state), "KEEPWARM_CONFIG": str(cfg)}
    return subprocess.Popen([sys.executable, "-m", "daemon.cli", "sync"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def cursor_written(db: Path) -> bool:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return bool(conn.execute("select count(*) from streams where cursor is not null"
                                     ).fetchone()[0])
    except sqlite3.Error:
        return False


def snapshot(db: Path) -> tuple[list[tuple], list[tuple]]:
    with sqlite3.connect(db) as conn:
        tps = conn.execute(
            "select i.identity, c.address, t.at, t.direction, t.group_size, t.bulk "
            "from touchpoints t join items i on i.id = t.item_id "
            "join contacts c on c.id = t.contact_id order by 1, 2").fetchall()
        contacts = conn.execute("select address, display_name, first_seen, last_seen "
                                "from contacts order by address").fetchall()
    return tps, contacts


def imported(tmp: Path) -> tuple[Path, Path]:
    """(config, state) of an mbox of N messages and its uninterrupted import."""
    mbox = tmp / "all.mbox"
    write_mbox(mbox, N)
    cfg, clean_state = config(tmp, mbox), tmp / "clean"
    assert run(cfg, clean_state).wait(timeout=300) == 0
    return cfg, clean_state


@pytest.mark.parametrize("kills", [1, 3])
def test_kill_mid_import_then_resume_equals_uninterrupted(tmp_path, kills):
    cfg, clean_state = imported(tmp_path)
    killed_state = tmp_path / "killed"
    db = killed_state / "keepwarm" / "keepwarm.db"
    killed = 0
    for _ in range(kills):
        proc = run(cfg, killed_state)
        deadline = time.monotonic() + 120
        while not cursor_written(db) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
    assert killed >= 1, "the import finished before it could be killed"
    assert run(cfg, killed_state).wait(timeout=300) == 0
    clean = snapshot(clean_state / "keepwarm" / "keepwarm.db")
    assert len(clean[0]) == N // 3 * 2 + N * 2 // 3  # outbound: 2 touchpoints; inbound: 1
    assert snapshot(db) == clean


def test_ctrl_c_stops_between_pages_and_the_next_run_goes_on(tmp_path):
    """The first Ctrl-C ends the run after the page being written, at once, with the store's
    lock free (no wait for it while the lease is given back); exit 130; the next run completes
    the import as an uninterrupted one would."""
    cfg, clean_state = imported(tmp_path)
    stopped_state = tmp_path / "stopped"
    db = stopped_state / "keepwarm" / "keepwarm.db"
    env = {**os.environ, "XDG_STATE_HOME": str(stopped_state), "KEEPWARM_CONFIG": str(cfg)}
    proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "sync"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True,  # Ctrl-C reaches the whole group
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not cursor_written(db) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if proc.poll() is not None:
        pytest.skip("the import finished before Ctrl-C could be pressed")
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"stopped: `keepwarm sync` goes on from here" in out
    assert b"could not release lease" not in err
    assert run(cfg, stopped_state).wait(timeout=300) == 0
    assert snapshot(db) == snapshot(clean_state / "keepwarm" / "keepwarm.db")
