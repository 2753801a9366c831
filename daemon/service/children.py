"""Each job's heavy work in a short-lived child process: the daemon's main process stays small.

The main process of ``keepwarm run`` holds the scheduler, the config, the leases and the
watchdog; it never imports SQLAlchemy's ORM, the connectors' clients or numpy (which it could
never give back: CPython does not unload a module). The sync of one account and the send of
one member's summary run in a child process (:mod:`daemon.service.child`), one per worker
thread, started for a job and kept for the next ones while there are any: it leaves once it
has had no job for ``LINGER`` seconds, and the memory of the work goes with it (a busy team
replica pays the child's start-up once per busy spell, not once per job). Everything around
the work stays in the main process and works as before: the job's lease is taken and renewed
there (under the replica's id), its status line and its heartbeat are written there.

The parent writes each :class:`Job` (pickled, after its length in 8 bytes) to the child's
stdin; the child answers on its stdout, one line per message: ``+`` once it took the job
(a child that left idle before reading it is replaced and the job given to the new one),
``.`` for a heartbeat (a page committed, a stream begun or done), then one JSON line with the
outcome. Its log lines go to the daemon's stderr. A stop
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
from typing import Any

from connectors.base import Env
from daemon.config import Config
from daemon.service.heartbeat import Heartbeat
from daemon.service.jobs import Jobs, WorkFault
from daemon.service.notify import Notifier
from daemon.service.work import Member
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


class Supervisor(Jobs):
    """``keepwarm run``: the daemon's jobs with their work in child processes. ``store`` is
    the daemon's own handle (light when it can be: :func:`daemon.cli.service.daemon_store`)
    for the leases and the ledger's readers; each child opens the full store itself."""

    def __init__(self, config: Config, store: Any, env: Env, *,
                 notifier: Notifier | None = None) -> None:
        super().__init__(config, store, env, notifier=notifier)
        self.children = Children(store.url, env, self.heartbeat, self.stop,
                                 config.daemon.log_level)

    def _engine(self, store: Any, config: Config) -> Any:
        raise TypeError("keepwarm run syncs in child processes: no engine in the daemon")

    def _sync_one(self, member: Member, account: str) -> list[AccountResult]:
        return self.children.sync(self.config, member.name, account)

    def _send_one(self, member: Member, fired: datetime | None, orphan: bool) -> None:
        self.children.send(self.config, member.name, fired, orphan)

    def _stop_work(self) -> None:
        self.children.kill_all()  # the page in hand is lost, the committed ones are not


class Children:
    """Runs jobs in child processes for a daemon on the store at ``url``; ``heartbeat`` and
    ``stop`` are the daemon's (read in the job's own thread)."""

    def __init__(self, url: str, env: Env, heartbeat: Heartbeat, stop: threading.Event,
                 log_level: str = "INFO") -> None:
        self.url, self.env, self.heartbeat, self.stop = url, env, heartbeat, stop
        self.log_level = log_level
        self.running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._mine = threading.local()  # each worker thread's own child

    def sync(self, config: Config, member: str, account: str) -> list[AccountResult]:
        """Sync ``account`` of ``member`` in a child; its result as the engine returned it."""
        done = self.run(self._job("sync", config, member, account=account))
        return [AccountResult(**r) for r in done.get("results", [])]

    def send(self, config: Config, member: str, fired: datetime | None, orphan: bool) -> None:
        """Send ``member``'s owed summary in a child (its failures are logged there)."""
        self.run(self._job("send", config, member, fired=fired, orphan=orphan))

    def _job(self, kind: str, config: Config, member: str, **extra: Any) -> Job:
        return Job(kind, config, self.url, self.env, member, log_level=self.log_level, **extra)

    def run(self, job: Job) -> dict[str, Any]:
        """Do ``job`` in this thread's child (started when it has none, or when it left
        idle before taking the job), relaying its heartbeats and asking it to stop when the
        job must stop; its outcome. A store fault is raised as
        :class:`~daemon.service.jobs.WorkFault`, a child that died without an outcome as
        RuntimeError (it logged its traceback)."""
        frame = pickle.dumps(job)
        for _ in range(3):
            proc = self._child()
            try:
                assert proc.stdin is not None
                proc.stdin.write(len(frame).to_bytes(8, "big") + frame)
                proc.stdin.flush()
            except OSError:  # it left idle meanwhile
                self._drop(proc)
                continue
            taken, outcome = self._watch(proc)
            if outcome is not None or taken:
                break
            self._drop(proc)  # it left idle before reading the job: another one takes it
        else:
            raise RuntimeError(f"{job.kind} {job.account or job.member}: no child process "
                               "would start")
        if outcome is None:
            self._drop(proc)
            raise RuntimeError(f"{job.kind} {job.account or job.member}: the child process "
                               f"ended without an outcome (exit code {proc.returncode})")
        if "fault" in outcome:
            raise WorkFault(outcome["fault"], hint=outcome.get("hint") or "")
        return outcome

    def _child(self) -> subprocess.Popen[bytes]:
        """This worker thread's child, started when it has none running."""
        proc: subprocess.Popen[bytes] | None = getattr(self._mine, "proc", None)
        if proc is not None and proc.poll() is None:
            return proc
        if proc is not None:
            self._drop(proc)
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-c", _BOOT, ROOT, str(os.getpid())], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, close_fds=True)
        self._mine.proc = proc
        with self._lock:
            self.running.add(proc)
        return proc

    def _drop(self, proc: subprocess.Popen[bytes]) -> None:
        """Forget a child that has left (or must): reap it, close its pipes."""
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass
        with self._lock:
            self.running.discard(proc)
        if getattr(self._mine, "proc", None) is proc:
            self._mine.proc = None

    def _watch(self, proc: subprocess.Popen[bytes]) -> tuple[bool, dict[str, Any] | None]:
        """Read the child's lines up to the job's outcome (or its end): ``+`` says it took
        the job, ``.`` is a heartbeat. Asks the child to stop (once) when the job must stop.
        Whether it took the job, and the outcome (None: it ended first)."""
        assert proc.stdout is not None
        fd, buffer, asked, taken = proc.stdout.fileno(), b"", False, False
        while True:
            if not asked and self.stop.is_set():
                proc.send_signal(signal.SIGTERM)
                asked = True
            if not select.select([fd], [], [], POLL)[0]:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                proc.wait()
                return taken, None
            *done, buffer = (buffer + chunk).split(b"\n")
            for line in done:
                if line == b".":
                    self.heartbeat.beat()
                elif line == b"+":
                    taken = True
                elif line:
                    return True, dict(json.loads(line))

    def kill_all(self) -> None:
        """Kill every child (the daemon leaves without waiting for the jobs in hand)."""
        with self._lock:
            for proc in self.running:
                proc.kill()


# The child's first statement: import ``daemon`` from where the parent did, whatever the cwd;
# its argument is the parent's pid (the child dies with it).
_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from daemon.service.child import main; " \
        "sys.exit(main(int(sys.argv[2])))"
