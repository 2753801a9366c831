"""`keepwarm sync` beside running daemons: each account is synced under the same
``sync:<account>`` lease a daemon's job holds, so a manual sync never reads a mailbox that a
replica is reading at the same time (two readers would share one per-user quota, and the issue's
promise is one reader per stream). An account whose lease another process holds is skipped and
named with its holder. A thread renews the leases while the sync runs, as a daemon's main loop
does; a lease lost meanwhile stops that sync between pages, like a daemon's job.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from connectors.base import Env
from daemon.clock import now_utc
from daemon.config import INTERVAL, Config, parse_duration
from daemon.service.tenancy import Tenancy, sync_lease
from daemon.store import Store
from daemon.store.replicas import Holder
from daemon.sync.engine import Engine
from daemon.sync.outcome import AccountResult
from daemon.sync.progress import Progress


@dataclass(frozen=True)
class Skipped:
    """An account not synced this time: ``holder`` is syncing it now."""

    name: str
    holder: Holder | None

    def line(self) -> str:
        who = f"another keepwarm ({self.holder})" if self.holder else "another keepwarm"
        return f"{self.name}: skipped, {who} is syncing it now"


def sync(store: Store, members: Sequence[Config], env: Env, progress: Progress,
         account: str | None = None, interrupted: threading.Event | None = None,
         ) -> tuple[list[AccountResult], list[Skipped]]:
    """Sync ``account`` (or every enabled account of every member), one engine per member over
    that member's rows; the results, and the accounts skipped because another process holds
    them. A Ctrl-C stops between pages and sets ``interrupted``."""
    results: list[AccountResult] = []
    skipped: list[Skipped] = []
    ttl = parse_duration(members[0].daemon.lease_ttl, INTERVAL) if members else None
    tenancy = Tenancy(store, now_utc, ttl=ttl) if ttl else Tenancy(store, now_utc)
    with _renewing(tenancy), _interruptible(tenancy.stop, interrupted or threading.Event()):
        for config in members:
            engine = Engine(store.scoped(config.member), config, env, progress=progress,
                            stop=tenancy.stop, readahead=True)  # one-shot: a fork is safe
            for acc in config.accounts:
                if (acc.name == account) if account else acc.enabled:
                    with tenancy.hold(sync_lease(acc.name)) as taken:
                        if taken.won:
                            results += engine.sync([acc.name])
                        else:
                            skipped.append(Skipped(acc.name, taken.other))
                    if results and results[-1].store_failed:
                        return results, skipped  # the next account would fail the same way
    return results, skipped


@contextmanager
def _renewing(tenancy: Tenancy) -> Iterator[None]:
    """Renew the held leases every third of their TTL until the block ends."""
    done = threading.Event()

    def renew() -> None:
        while not done.wait(tenancy.renew_every.total_seconds()):
            tenancy.keep(force=True)

    thread = threading.Thread(target=renew, name="keepwarm-leases", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextmanager
def _interruptible(stop: threading.Event, pressed: threading.Event) -> Iterator[None]:
    """The first Ctrl-C stops the sync between pages: the page being written commits with its
    cursor and the next run resumes after it (an interrupt inside a commit could leave the
    store's write lock held while the leases are given back). A second Ctrl-C stops at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def first(signum: int, frame: FrameType | None) -> None:
        stop.set()
        pressed.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    before = signal.getsignal(signal.SIGINT)
    if before is signal.SIG_IGN:  # started in the background: nobody can press Ctrl-C
        yield
        return
    signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
