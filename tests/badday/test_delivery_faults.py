"""Bad days in delivery: an SMTP server that says "later" (450) or "never" (550) to
``send-summary``, and a second ``keepwarm run`` on a store that a daemon already runs on."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.badday.conftest import BadDay

from fakes.smtp_server import Inbox, smtp_server
from helpers import daemons

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def smtp_config(bad_day: BadDay, port: int) -> None:
    """Today's slot at 00:00 UTC has passed: this week's summary is owed."""
    today = WEEKDAYS[datetime.now(UTC).weekday()]
    bad_day.write_config(
        f'[store]\nurl = "sqlite:///{bad_day.home / "kw.db"}"\n'
        f'[me]\naddresses = ["me@example.com"]\n'
        f'[report]\ntimezone = "UTC"\nweekday = "{today}"\ntime = "00:00"\n'
        f'[delivery]\nmethod = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
        'security = "none"\nto = "me@example.com"\n')


def test_a_550_stops_and_says_what_the_server_said(bad_day: BadDay) -> None:
    inbox = Inbox(always="550 5.7.1 Relaying denied")
    with smtp_server(inbox) as port:
        smtp_config(bad_day, port)
        bad_day.fails("send-summary", code=1, says="550 5.7.1 Relaying denied",
                      hint="no more attempts this week: fix [delivery] to, sender and the "
                           "server, then run keepwarm send-summary")
        out = bad_day.run("doctor")
    assert inbox.tries == 1
    assert "not delivered (attempt 1 at" in out.stdout and "550 5.7.1" in out.stdout
    assert "owed, catch-up" not in out.stdout


def test_a_450_is_left_to_the_daemons_retries(bad_day: BadDay) -> None:
    inbox = Inbox(always="450 4.2.0 Mailbox busy")
    with smtp_server(inbox) as port:
        smtp_config(bad_day, port)
        bad_day.fails("send-summary", code=1, says="answered 450 4.2.0 Mailbox busy",
                      hint="keepwarm run retries every 10 minutes")
        out = bad_day.run("status")
    assert inbox.tries == 1  # a person is waiting: one attempt, no backoff
    assert "not delivered yet (attempt 1 at" in out.stdout and "next attempt after" in out.stdout


def start_daemon(bad_day: BadDay, state: Path) -> subprocess.Popen[str]:
    return daemons.start_daemon(bad_day.config, {**bad_day.env, "XDG_STATE_HOME": str(state)},
                                text=True)


def lease_pid(db: Path) -> int | None:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            row = conn.execute("select pid from daemon_leases").fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


def wait_for_lease(db: Path, proc: subprocess.Popen[str], limit: float = 60) -> bool:
    deadline = time.monotonic() + limit
    while proc.poll() is None and time.monotonic() < deadline:
        if lease_pid(db) == proc.pid:
            return True
        time.sleep(0.05)
    return False


def test_a_second_daemon_on_the_same_store_refuses_to_start(bad_day: BadDay) -> None:
    db = bad_day.home / "kw.db"
    bad_day.write_config(f'[store]\nurl = "sqlite:///{db}"\n'
                         '[me]\naddresses = ["me@example.com"]\n')
    first = start_daemon(bad_day, bad_day.home / "systemd-state")
    assert wait_for_lease(db, first), "the first daemon never took the lease"
    out = bad_day.fails("run", code=1, says="another keepwarm daemon runs on this store "
                        "(host ", hint="stop that one first")
    assert f"pid {first.pid}, since " in out.stderr
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=15) == 0
    assert lease_pid(db) is None  # a clean stop gives the lease back


def test_a_killed_daemon_does_not_block_the_next(bad_day: BadDay) -> None:
    db = bad_day.home / "kw.db"
    bad_day.write_config(f'[store]\nurl = "sqlite:///{db}"\n'
                         '[me]\naddresses = ["me@example.com"]\n')
    first = start_daemon(bad_day, bad_day.home / "a")
    assert wait_for_lease(db, first)
    first.kill()
    first.wait(timeout=10)
    second = start_daemon(bad_day, bad_day.home / "b")
    assert wait_for_lease(db, second), "the lease of a killed daemon was not taken over"
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=15) == 0
