"""An honest watchdog: the worker's jobs report progress, and systemd is pinged only while
they make it.

The main thread sends ``WATCHDOG=1``. On its own it kept a daemon whose worker was stuck in
a job (an endless calendar expansion) looking healthy forever, and the summary was never sent.
So each job runs inside :meth:`Heartbeat.job`, every stream started, page committed and stream
finished :meth:`beats <Heartbeat.beat>` (through :class:`~daemon.service.beats.Beats`, the
engine's progress hooks; in a job's child process, through its pipe: :mod:`.children`),
and :meth:`Heartbeat.stalled` names the job once it has gone ``allowance`` seconds without
progress. The main thread then withholds the ping and systemd restarts the daemon after
``WatchdogSec``. The new process resumes after the last committed page and sends any summary
that is owed.

Time is ``time.monotonic``: it does not advance while the machine sleeps, so a job
suspended with the laptop does not look stuck when the laptop wakes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# A legitimate page can wait out several Retry-After answers (up to 5 minutes each), and the
# weekly scoring of a big store takes minutes: only a longer silence means a stuck worker.
STALL_AFTER = 15 * 60.0


class Heartbeat:
    """When each running job last made progress, by worker thread (a replica runs
    ``[daemon] workers`` jobs at once). Written by the workers, read by the main thread."""

    def __init__(self, allowance: float = STALL_AFTER,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.allowance, self.clock = allowance, clock
        self._jobs: dict[int, tuple[str, float]] = {}  # thread -> (job, last progress)
        self._lock = threading.Lock()

    @contextmanager
    def job(self, name: str) -> Iterator[None]:
        """Run one job under watch: starting it counts as progress; ending it stops the watch."""
        me = threading.get_ident()
        with self._lock:
            self._jobs[me] = (name, self.clock())
        try:
            yield
        finally:
            with self._lock:
                self._jobs.pop(me, None)

    def beat(self) -> None:
        """This thread's job made progress (a page committed, a stream started or finished)."""
        me = threading.get_ident()
        with self._lock:
            if me in self._jobs:
                self._jobs[me] = (self._jobs[me][0], self.clock())

    def stalled(self) -> str | None:
        """A running job and how long it has gone without progress, when longer than the
        allowance; None while every worker is idle or moving."""
        now = self.clock()
        with self._lock:
            jobs = list(self._jobs.values())
        for job, last in jobs:
            if now - last > self.allowance:
                return f"{job}: no progress for {now - last:.0f} s"
        return None
