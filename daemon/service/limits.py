"""Request budgets shared by replicas: the ``Env.throttle`` hook the daemon gives connectors.

Microsoft Graph limits an app's requests across everything it does, not per process: with
several replicas signed in as one organisation app, each process's own limiter would let the
deployment overshoot. So a replica takes tokens from a bucket row in the store
(:mod:`daemon.store.buckets`, one per ``graph:<tenant>:<client id>``) before each Graph
request, ``BLOCK`` at a time to keep the store's load small, and waits when it is empty.

The store failing must not stop the sync for a budget: the request goes (the sync's own page
commit reports the store's trouble), and the failure is logged once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from daemon.clock import now_utc
from daemon.errors import brief
from daemon.store import Store, buckets

log = logging.getLogger(__name__)

# Graph allows 2,000 requests/s per app across tenants (api-notes, Outlook limits); a team
# deployment takes at most half, leaving the rest to the app's other users.
RATE = 1000.0  # tokens a second
BURST = 2000.0
BLOCK = 10  # tokens taken from the store at a time
MAX_WAIT = 1.0  # seconds slept before asking again


class SharedLimit:
    """``Env.throttle``: returns once one request of budget ``key`` may go. Thread-safe."""

    def __init__(self, store: Store, *, rate: float = RATE, burst: float = BURST,
                 block: int = BLOCK, clock: Callable[[], datetime] = now_utc,
                 sleep: Callable[[float], None] = time.sleep,
                 stop: threading.Event | None = None) -> None:
        self.store, self.rate, self.burst, self.block = store, rate, burst, block
        self.clock, self.sleep, self.stop = clock, sleep, stop or threading.Event()
        self._lock = threading.Lock()
        self._local: dict[str, int] = {}  # tokens taken from the store, not yet spent
        self._failing = False

    def __call__(self, key: str) -> None:
        while not self.stop.is_set():
            with self._lock:
                if self._local.get(key, 0) > 0:
                    self._local[key] -= 1
                    return
                wait = self._take(key)
                if wait == 0.0:
                    self._local[key] = self.block - 1
                    return
            self.sleep(min(wait, MAX_WAIT))

    def _take(self, key: str) -> float:
        try:
            wait = buckets.take(self.store, key, self.block, rate=self.rate,
                                burst=self.burst, now=self.clock())
        except Exception as exc:  # the store is down: the request goes unmetered
            if not self._failing:
                log.warning("shared request budget %s unavailable, not metering: %s",
                            key, brief(exc))
            self._failing = True
            return 0.0
        self._failing = False
        return wait
