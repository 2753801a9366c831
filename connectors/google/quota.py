"""Client-side pacing: a quota limiter that spends API units at no more than a per-user rate,
and the adaptive size of Gmail batches.

Google counts Gmail quota in *units* per user per minute (``messages.get`` costs 5, and so
on). Spending them here before each request lets a first sync ride the quota instead of the
error path: a token bucket refilled at ``units_per_window / window`` per second, with a
small burst allowance so that a restart does not open with a storm against a server whose
own window is still full. When the server's answers show the configured rate is above the
quota it enforces (refusals with Retry-After or a quota reason), :meth:`QuotaLimiter.slow_down`
lowers the rate; clean answers bring it back slowly. Clock and sleep are injectable (tests and
the benchmark).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

# Per-method costs from Google's quota page (developers.google.com/gmail/api/reference/quota).
# Projects created after May 2026 may be priced differently; the account settings override.
DEFAULT_COSTS: dict[str, int] = {
    "getProfile": 1,
    "history.list": 2,
    "labels.list": 1,
    "messages.list": 5,
    "messages.get": 5,
    "threads.get": 10,
}

# Burst allowance as a share of one window: enough for a few 50-part batches, small enough
# that a restart cannot overspend a server-side window much.
BURST_SHARE = 0.1
SLOW_FACTOR = 0.7  # the rate after a refusal, as a share of the rate before
FLOOR_SHARE = 0.05  # never slower than this share of the configured rate
RECOVER_SHARE = 0.02  # each clean answer gives back this share of the configured rate


class QuotaLimiter:
    """Token bucket over quota units. ``spend(units)`` blocks until the units are available."""

    def __init__(
        self,
        units_per_window: int,
        *,
        window: float = 60.0,
        costs: Mapping[str, int] | None = None,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = units_per_window / window  # units per second
        self.ceiling = self.rate  # the configured rate; slow_down lowers ``rate`` below it
        self.capacity = max(burst if burst is not None else units_per_window * BURST_SHARE, 1.0)
        self.costs = {**DEFAULT_COSTS, **(costs or {})}
        self._clock = clock
        self._sleep = sleep
        self._level = self.capacity
        self._stamp = clock()
        self._lock = threading.Lock()
        self.spent = 0
        self.waited = 0.0
        self.slowed = 0  # how often the server's answers lowered the rate

    def cost(self, method: str, calls: int = 1) -> int:
        """Units that ``calls`` calls of ``method`` cost."""
        return self.costs.get(method, 5) * calls

    def spend(self, units: float) -> None:
        """Take ``units`` from the bucket, sleeping first if they are not there yet.

        A request bigger than the bucket (a large batch) is allowed to drive the level
        negative: the wait that follows pays it back at the permitted rate.
        """
        with self._lock:
            now = self._clock()
            self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
            self._stamp = now
            need = min(units, self.capacity)
            wait = (need - self._level) / self.rate if self._level < need else 0.0
            self._level -= units
            self.spent += int(units)
            if wait > 0:
                self.waited += wait
                # Time advances while we sleep; account for it as if the refill happened.
                self._level += wait * self.rate
                self._stamp = now + wait
        if wait > 0:
            self._sleep(wait)

    def spend_for(self, method: str, calls: int = 1) -> None:
        """Spend the units of ``calls`` calls of ``method``."""
        self.spend(self.cost(method, calls))

    def slow_down(self) -> None:
        """The server refused for quota: spend more slowly from now on."""
        with self._lock:
            self.rate = max(self.ceiling * FLOOR_SHARE, self.rate * SLOW_FACTOR)
            self.slowed += 1

    def recover(self) -> None:
        """A clean answer: creep back towards the configured rate."""
        if self.rate < self.ceiling:
            with self._lock:
                self.rate = min(self.ceiling, self.rate + self.ceiling * RECOVER_SHARE)


class BatchSize:
    """How many parts the next batch may carry. The server refuses parts above its concurrency
    ("Too many concurrent requests for user"): after a refusal the size drops to what went
    through (at least halving when nothing did) and grows back by one per clean batch."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit  # Gmail's hard cap
        self.size = limit
        self.history: list[int] = []  # sizes sent, for tests and the benchmark

    def take(self, wanted: int) -> int:
        """Parts for the next batch, out of ``wanted`` pending."""
        n = max(1, min(wanted, self.size))
        self.history.append(n)
        return n

    def refused(self, sent: int, accepted: int) -> None:
        """``sent`` parts went, ``accepted`` of them were not refused."""
        self.size = max(1, accepted if accepted else sent // 2)

    def clean(self, sent: int) -> None:
        """A batch of ``sent`` parts had no refusal."""
        if sent >= self.size:
            self.size = min(self.limit, self.size + 1)
