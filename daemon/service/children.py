"""Each job's heavy work in a short-lived child process: the daemon's main process stays small.

The main process of ``keepwarm run`` holds the scheduler, the config, the leases and the
watchdog; it never imports SQLAlchemy's ORM, the connectors' clients or numpy (which it could
never give back: CPython does not unload a module). The sync of one account and the send of
one member's summary each run in ``python -m daemon.service.child``, which opens the store,
does that one piece of work and exits, so the memory of the work goes with it. Everything
around it stays in the main process and works as before: the job's lease is taken and
renewed there (under the replica's id), its status line and its heartbeat are written there.

The parent writes the :class:`Job` (pickled) to the child's stdin; the child answers on its
stdout, one line per message: ``.`` for a heartbeat (a page committed, a stream begun or
done), then one JSON line with the outcome. Its log lines go to the daemon's stderr. A stop
(SIGTERM to the daemon, or this job's lease lost) reaches the child as SIGTERM, and it stops
between pages, as a job in a thread would; the daemon exiting for good (the stop grace
outlived, or killed) takes the child with it (``PR_SET_PDEATHSIG``): the engine commits a
page and its cursor together, so a killed child loses nothing but the page in hand.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import Env
from daemon.config import Config
from daemon.errors import StoreError
from daemon.service.heartbeat import Heartbeat

if TYPE_CHECKING:
    from daemon.sync.outcome import AccountResult

POLL = 0.2  # seconds between two looks at the stop event while a child works
ROOT = str(Path(__file__).resolve().parents[2])  # where ``daemon`` is imported from


@dataclass(frozen=True)
class Job:
    """One piece of work for a child: ``sync`` one account of ``member``, or ``send`` the
    member's owed summary (``fired``: the slot's instant, None for now)."""

    kind: str
    config: Config  # the whole config (every member of a team)
    url: str
    env: Env
    member: str
    account: str | None = None
    fired: datetime | None = None
    orphan: bool = False
    log_level: str = "INFO"
    parent: int = 0


class ChildFault(StoreError):
    """A child's store fault, already in words (the child logged nothing of it)."""


class Children:
    """Runs jobs in child processes for a daemon on the store at ``url``; ``heartbeat`` and
    ``stop`` are the daemon's (read in the job's own thread)."""

    def __init__(self, url: str, env: Env, heartbeat: Heartbeat, stop: threading.Event,
                 log_level: str = "INFO") -> None:
        self.url, self.env, self.heartbeat, self.stop = url, env, heartbeat, stop
        self.log_level = log_level
        self.running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def sync(self, config: Config, member: str, account: str) -> list[AccountResult]:
        """Sync ``account`` of ``member`` in a child; its result as the engine returned it."""
        from daemon.sync.outcome import AccountResult

        done = self.run(self._job("sync", config, member, account=account))
        return [AccountResult(**r) for r in done.get("results", [])]

    def send(self, config: Config, member: str, fired: datetime | None, orphan: bool) -> None:
        """Send ``member``'s owed summary in a child (its failures are logged there)."""
        self.run(self._job("send", config, member, fired=fired, orphan=orphan))

    def _job(self, kind: str, config: Config, member: str, **extra: Any) -> Job:
        return Job(kind, config, self.url, self.env, member, log_level=self.log_level,
                   parent=os.getpid(), **extra)

    def run(self, job: Job) -> dict[str, Any]:
        """Start a child on ``job``, relay its heartbeats, stop it when the job must stop;
        its outcome. A store fault is raised as :class:`ChildFault`; a child that died
        without an outcome as RuntimeError (it logged its traceback)."""
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", _BOOT, ROOT], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, close_fds=True)
        with self._lock:
            self.running.add(proc)
        try:
            assert proc.stdin is not None and proc.stdout is not None
            with proc.stdin:
                proc.stdin.write(pickle.dumps(job))
            lines = self._watch(proc)
        finally:
            code = proc.wait()
            with self._lock:
                self.running.discard(proc)
        outcome: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        if "fault" in outcome:
            raise ChildFault(outcome["fault"], hint=outcome.get("hint") or "")
        if not outcome:
            raise RuntimeError(f"{job.kind} {job.account or job.member}: the child process "
                               f"ended without an outcome (exit code {code})")
        return outcome

    def _watch(self, proc: subprocess.Popen[bytes]) -> list[str]:
        """Read the child's lines until it closes its end: beats go to the heartbeat, the
        rest is returned. Asks the child to stop (once) when the job must stop."""
        assert proc.stdout is not None
        fd, buffer, asked = proc.stdout.fileno(), b"", False
        lines: list[str] = []
        while True:
            if not asked and self.stop.is_set():
                proc.send_signal(signal.SIGTERM)
                asked = True
            if not select.select([fd], [], [], POLL)[0]:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return lines
            *done, buffer = (buffer + chunk).split(b"\n")
            for line in done:
                if line == b".":
                    self.heartbeat.beat()
                elif line:
                    lines.append(line.decode())

    def kill_all(self) -> None:
        """Kill every running child (the daemon leaves without waiting for them)."""
        with self._lock:
            for proc in self.running:
                proc.kill()


# The child's first statement: import ``daemon`` from where the parent did, whatever the cwd.
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from daemon.service.child import main; " \
        "sys.exit(main())"
