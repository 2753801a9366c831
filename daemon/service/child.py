"""A job's child process (:mod:`daemon.service.children`): one sync or one send, then exit.

It reads :class:`~daemon.service.children.Job` after job from stdin, and runs each exactly
as a worker thread of the daemon would (the same :class:`Daemon` code, on a daemon that is
never started: no scheduler, no leases of its own, no systemd notifications), answering on
stdout: ``+`` when it takes a job, ``.`` per heartbeat, then one JSON line with the outcome.
It leaves after ``LINGER`` idle seconds, or once a job was asked to stop (SIGTERM: the job
stops between pages); it dies with the daemon that started it.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import pickle
import select
import signal
import sys
import threading
import time
from dataclasses import asdict
from typing import IO, Any

from daemon.errors import StoreError
from daemon.service.children import Job
from daemon.service.heartbeat import Heartbeat
from daemon.service.notify import Notifier
from daemon.service.scheduler import Daemon
from daemon.store import faults
from daemon.store.db import Store

PR_SET_PDEATHSIG = 1
LINGER = 20.0  # seconds without a job after which a child leaves (and its memory with it)
BEAT_EVERY = 1.0  # seconds: at most one heartbeat line per second reaches the parent


class Relay(Heartbeat):
    """The child's heartbeat: each beat becomes a ``.`` line to the parent (at most one a
    second), where the job's own heartbeat is moved on."""

    def __init__(self, out: IO[bytes]) -> None:
        super().__init__()
        self.out, self._last = out, 0.0

    def beat(self) -> None:
        now = time.monotonic()
        if now - self._last >= BEAT_EVERY:
            self._last = now
            self.out.write(b".\n")


def main(parent: int) -> int:
    """Take jobs from stdin until none comes for ``LINGER`` seconds, the daemon closes the
    pipe, or a job was asked to stop; 0 when it left that way."""
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # a stray print goes to the log, never into the parent's pipe
    _die_with(parent)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _n, _f: stopping.set())
    relay = Relay(out)
    while not stopping.is_set() and select.select([0], [], [], LINGER)[0]:
        job = _read_job()
        if job is None:
            break
        out.write(b"+\n")
        logging.basicConfig(level=job.log_level.upper(), stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        out.write(json.dumps(_run(job, relay, stopping)).encode() + b"\n")
    return 0


def _read_job() -> Job | None:
    """The next job on stdin (its length in 8 bytes, then its pickle); None at the end."""
    size = _read(8)
    if len(size) < 8:
        return None
    job: Job = pickle.loads(_read(int.from_bytes(size, "big")))
    return job


def _read(n: int) -> bytes:
    got = b""
    while len(got) < n:
        chunk = os.read(0, n - len(got))
        if not chunk:
            break
        got += chunk
    return got


def _run(job: Job, heartbeat: Relay, stopping: threading.Event) -> dict[str, Any]:
    """Open the store, do the job as a worker thread of the daemon would; the outcome."""
    try:
        store = _store(job.url)
    except Exception as exc:
        return _fault(exc, job.url)
    daemon = Daemon(job.config, store, job.env, notifier=Notifier({}), heartbeat=heartbeat)

    def stop(_signum: int, _frame: object) -> None:  # between pages, then leave
        stopping.set()
        daemon.stop.set()

    signal.signal(signal.SIGTERM, stop)
    try:
        if job.kind == "sync":
            results = daemon.members[job.member].engine.sync([str(job.account)])
            return {"results": [_result(r) for r in results]}
        daemon.send_summary(job.fired, member=job.member, orphan=job.orphan)
        return {"sent": True}
    except Exception as exc:
        if (fault := faults.explained(exc, store.url)) is None:
            raise
        return {"fault": str(fault), "hint": fault.hint}
    finally:
        store.dispose()


def _store(url: str) -> Store:
    """The store at ``url``, opened once per child (its connections are given back after
    each job)."""
    if url not in _STORES:
        _STORES[url] = Store(url)
    return _STORES[url]


_STORES: dict[str, Store] = {}


def _fault(exc: Exception, url: str) -> dict[str, Any]:
    """A store that cannot be opened, as the outcome (anything else is a bug: raised)."""
    fault = exc if isinstance(exc, StoreError) else faults.explained(exc, url)
    if fault is None:
        raise exc
    return {"fault": str(fault), "hint": getattr(fault, "hint", "")}


def _result(result: Any) -> dict[str, Any]:
    """An :class:`~daemon.sync.outcome.AccountResult` as JSON, without its streams (the
    daemon's status line and its next step read only the account's own fields)."""
    found = asdict(result)
    found.pop("streams", None)
    return found


def _die_with(parent: int) -> None:
    """Be killed when the daemon's thread that started us goes (Linux: the daemon killed,
    or its stop over); a daemon already gone ends us now."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the daemon's stop or systemd ends us
        return
    if parent and os.getppid() != parent:
        os._exit(1)
