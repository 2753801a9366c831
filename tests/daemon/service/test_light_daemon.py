"""The daemon's main process stays light: its jobs (a sync, the weekly summary) run in child
processes, and the process that lives for weeks never loads SQLAlchemy, Alembic or numpy
(``bench/idle.py`` measures what that saves; this checks the promise behind it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).parents[3]

# The keepwarm command, reporting at exit which heavy modules its own process had loaded.
WRAPPER = """
import atexit, json, sys
from daemon.cli.main import main
def report():
    with open(sys.argv[1], "w") as fh:
        json.dump(sorted(m for m in sys.modules if m.split(".")[0] in {"sqlalchemy",
                  "alembic", "numpy"}), fh)
atexit.register(report)
sys.exit(main(sys.argv[2:]))
"""


def _mbox(path: Path, n: int) -> None:
    with path.open("w") as fh:
        for i in range(n):
            fh.write(f"From x@y Mon Jan  1 00:00:00 2024\nFrom: P <p{i % 20}@c.example>\n"
                     f"To: me@example.com\nDate: Mon, 06 Jan 2025 10:{i % 60:02d}:00 +0000\n"
                     f"Message-ID: <{i}@example>\n\nbody\n\n")


def _wait(check: object, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while not check():  # type: ignore[operator]
        assert proc.poll() is None, f"keepwarm run exited before {what}"
        assert time.monotonic() < deadline, f"no {what} within 120 s"
        time.sleep(0.1)


def test_run_does_its_jobs_in_children_and_stays_light(tmp_path: Path) -> None:
    """A sync and a weekly summary are done, and the main process loaded none of them."""
    _mbox(tmp_path / "a.mbox", 200)
    today = datetime.now(UTC).strftime("%a").lower()
    cfg = tmp_path / "config.toml"
    cfg.write_text('[me]\naddresses = ["me@example.com"]\n'
                   f'[delivery]\nmethod = "file"\nfolder = "{tmp_path}/out"\n'
                   f'[report]\ntimezone = "UTC"\nweekday = "{today}"\ntime = "00:00"\n'
                   f'[[accounts]]\nname = "a"\nkind = "mbox"\npath = "{tmp_path}/a.mbox"\n')
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.setblocking(False)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "NOTIFY_SOCKET": str(tmp_path / "notify")}
    cli = ["--config", str(cfg)]
    subprocess.run([sys.executable, "-m", "daemon.cli", *cli, "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, stdout=subprocess.DEVNULL)
    loaded = tmp_path / "loaded.json"
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, str(loaded), *cli, "run"],
                            cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    said: list[str] = []

    def synced() -> bool:
        try:
            said.append(notify.recv(4096).decode())
        except BlockingIOError:
            pass
        return any(s.startswith("STATUS=last sync") for s in said)

    try:
        _wait(synced, proc, "finished sync")
        _wait(lambda: list((tmp_path / "out").glob("*.eml")), proc, "weekly summary")
        time.sleep(1.0)  # the summary job ends after its file is written
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        notify.close()
    assert code == 0
    assert json.loads(loaded.read_text()) == []
