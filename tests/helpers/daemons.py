"""``keepwarm run`` as a real subprocess, and the promise that no test leaves one running:
``tests/conftest.py`` kills whatever :func:`start_daemon` started once each test ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
STARTED: list[subprocess.Popen[Any]] = []


def start_daemon(config: Path, env: dict[str, str], *, text: bool = False
                 ) -> subprocess.Popen[Any]:
    """``keepwarm --config CONFIG run`` with ``env``; stdout dropped, stderr piped."""
    env = {k: v for k, v in env.items() if k != "NOTIFY_SOCKET"}  # not ours to notify
    proc = subprocess.Popen([sys.executable, "-m", "daemon.cli", "--config", str(config), "run"],
                            cwd=ROOT, env=env, text=text, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    STARTED.append(proc)
    return proc


def stop_all() -> None:
    """Kill every daemon still running (a failing test must not leave one behind)."""
    while STARTED:
        proc = STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
