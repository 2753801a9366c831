"""SIGTERM while the summary waits between two delivery attempts: the wait ends at once, the
daemon exits 0 and says the summary was not sent and is retried at the next start (which it
is: the ledger row is due again)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from daemon.store import Store
from daemon.summary import claims

from fakes.smtp_server import free_port

ROOT = Path(__file__).parents[3]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_sigterm_between_delivery_attempts_stops_at_once(tmp_path: Path) -> None:
    db = tmp_path / "kw.db"
    today = WEEKDAYS[datetime.now(UTC).weekday()]
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{db}"\n[me]\naddresses = ["me@example.com"]\n'
                   f'[report]\ntimezone = "UTC"\nweekday = "{today}"\ntime = "00:00"\n'
                   f'[delivery]\nmethod = "smtp"\nhost = "127.0.0.1"\nport = {free_port()}\n'
                   'security = "none"\nto = "me@example.com"\n')
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    env.pop("NOTIFY_SOCKET", None)
    proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "--config", str(cfg), "run"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("delivery attempt 1 failed" in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert proc.wait(timeout=15) == 0, "".join(lines)
        assert time.monotonic() - started < 5  # not the rest of the backoff
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    reader.join(timeout=5)
    log = "".join(lines)
    assert "summary not sent: keepwarm is stopping; it is retried at the next start" in log
    assert "did not stop" not in log
    store = Store(f"sqlite:///{db}")
    [row] = [claims.row(store, w) for w in [_week()]]
    store.dispose()
    assert row is not None and row.status == "retrying"
    assert row.next_attempt_at is not None and row.next_attempt_at <= datetime.now(UTC)


def _week() -> str:
    year, week, _ = datetime.now(UTC).isocalendar()
    return f"{year}-W{week:02d}"
