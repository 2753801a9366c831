"""A job's child process (:mod:`daemon.service.children`): one sync or one send, then exit.

It reads its :class:`~daemon.service.children.Job` from stdin, opens the store and runs the
work exactly as a worker thread of the daemon would (the same :class:`Daemon` code, on a
daemon that is never started: no scheduler, no leases of its own, no systemd notifications),
and answers on stdout: ``.`` per heartbeat, then one JSON line with the outcome. SIGTERM
stops it between pages; it dies with the daemon that started it.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import pickle
import signal
import sys
import time
from dataclasses import asdict
from typing import IO, Any

from daemon.service.children import Job
from daemon.service.heartbeat import Heartbeat

PR_SET_PDEATHSIG = 1
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


def main() -> int:
    """Run the job read from stdin; the exit code is 0 once its outcome is written."""
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # a stray print goes to the log, never into the parent's pipe
    job: Job = pickle.load(sys.stdin.buffer)
    _die_with(job.parent)
    logging.basicConfig(level=job.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    outcome = _run(job, Relay(out))
    out.write(json.dumps(outcome).encode() + b"\n")
    return 0


def _run(job: Job, heartbeat: Relay) -> dict[str, Any]:
    from daemon.service.notify import Notifier
    from daemon.service.scheduler import Daemon
    from daemon.store import Store, faults

    try:
        store = Store(job.url)
    except Exception as exc:
        return _fault(exc, job.url)
    daemon = Daemon(job.config, store, job.env, notifier=Notifier({}), heartbeat=heartbeat)
    signal.signal(signal.SIGTERM, lambda _n, _f: daemon.stop.set())
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


def _fault(exc: Exception, url: str) -> dict[str, Any]:
    """A store that cannot be opened, as the outcome (anything else is a bug: raised)."""
    from daemon.errors import StoreError
    from daemon.store import faults

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
    """Be killed when the daemon that started us goes (Linux); a daemon already gone ends us
    now."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the daemon's stop or systemd ends us
        return
    if parent and os.getppid() != parent:
        os._exit(1)
