"""The running daemon's side of the store's leases (:mod:`daemon.store.lease`).

At start a replica takes its place: on SQLite the whole store's lease (refused: another daemon
runs on this store, the one line it always was); on PostgreSQL, where any number of replicas
share the work, a ``replica:<id>`` presence row that ``keepwarm status`` lists. Each job then
holds the lease of its piece of work (``sync:<account>``, ``summary:<member>``) while it runs
and gives it back at its end; work whose lease another replica holds is skipped this time.
The main loop renews every lease of the replica in one statement (:meth:`Tenancy.keep`), so a
sync longer than the TTL keeps its lease; a job whose lease was lost meanwhile (the store was
unreachable past the TTL and another replica took the work) sees :class:`Stop` set and stops
between pages. Renewal failures are logged and tried again; losing the store's lease on SQLite
stops the daemon.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from daemon.errors import KeepwarmError, brief
from daemon.store import lease
from daemon.store.sql import Db

log = logging.getLogger(__name__)


def sync_lease(account: str) -> str:
    """The lease an account's sync runs under (a daemon's job and ``keepwarm sync`` alike)."""
    return f"sync:{account}"


class Stop(threading.Event):
    """The daemon's stop event; inside a job whose lease was lost it reads as set too, so the
    sync engine stops that job between pages and no other."""

    def __init__(self) -> None:
        super().__init__()
        self._job = threading.local()
        self.lost: set[str] = set()  # leases of running jobs that another replica took

    def is_set(self) -> bool:
        held: tuple[str, ...] = getattr(self._job, "leases", ())
        return super().is_set() or any(name in self.lost for name in held)

    @contextmanager
    def job(self, name: str) -> Iterator[None]:
        """This thread runs the work of lease ``name`` for the with-block (nested: a summary's
        sync of one account runs under both leases)."""
        outer: tuple[str, ...] = getattr(self._job, "leases", ())
        self._job.leases = (*outer, name)
        try:
            yield
        finally:
            self._job.leases = outer
            self.lost.discard(name)


class Tenancy:
    """This replica's leases on ``store``; ``clock`` gives the current instant."""

    def __init__(self, store: Db, clock: Callable[[], datetime],
                 stop: Stop | None = None, ttl: timedelta = lease.TTL) -> None:
        self.store, self.clock = store, clock
        self.ttl, self.renew_every = ttl, ttl / 3
        self.stop = stop or Stop()
        self.replica = lease.replica_id()
        self.renewed: datetime | None = None  # None: the replica's own lease is not held
        self.held: set[str] = set()  # leases of running jobs
        self._lock = threading.Lock()

    @property
    def presence(self) -> str:
        """This replica's own lease: the whole store on SQLite, a presence row elsewhere."""
        return lease.NAME if self.store.sqlite else f"replica:{self.replica}"

    def take(self) -> None:
        """Take this replica's place on the store, or raise naming who holds it (SQLite)."""
        now = self.clock()
        if self.store.sqlite:
            holder = lease.acquire(self.store, now, self.replica, self.ttl)
            if holder is not None:
                raise KeepwarmError(
                    f"another keepwarm daemon runs on this store ({holder})",
                    hint="stop that one first (SQLite serves one daemon; several replicas need "
                         "PostgreSQL); a killed daemon's lease lapses "
                         f"{int(self.ttl.total_seconds())} s after its last renewal")
        else:
            lease.forget_replicas(self.store, now)
            lease.take(self.store, self.presence, self.replica, now, self.ttl)
        self.renewed = now

    @contextmanager
    def hold(self, name: str) -> Iterator[lease.Taken]:
        """Hold lease ``name`` for the with-block, given back at its end; the block runs in
        any case and reads whether it won (``taken.won``) and whom it took over."""
        taken = lease.take(self.store, name, self.replica, self.clock(), self.ttl)
        if not taken.won:
            yield taken
            return
        with self._lock:
            self.held.add(name)
        try:
            with self.stop.job(name):
                yield taken
        finally:
            with self._lock:
                self.held.discard(name)
            try:
                lease.give_back(self.store, name, self.replica)
            except Exception as exc:  # it lapses by itself
                log.warning("could not release lease %s: %s", name, brief(exc))

    def keep(self, force: bool = False) -> bool:
        """Renew every lease of this replica when due (``force``: now); False once another
        daemon has taken this replica's own lease over (SQLite: the store)."""
        now = self.clock()
        with self._lock:
            jobs = set(self.held)
        if self.renewed is None and not jobs:
            return True
        if not force and self.renewed is not None and now - self.renewed < self.renew_every:
            return True
        try:
            kept = lease.renew_all(self.store, self.replica, now, self.ttl)
        except Exception as exc:  # a locked or unreachable store: try again next time
            log.warning("could not renew the leases of this replica: %s", brief(exc))
            return True
        for name in jobs - kept:
            log.error("lease %s was taken over by another replica: stopping that job", name)
            self.stop.lost.add(name)
        if self.renewed is None:
            return True
        self.renewed = now
        if self.presence in kept:
            return True
        if self.store.sqlite:
            return False
        lease.take(self.store, self.presence, self.replica, now, self.ttl)  # presence: back
        return True

    def give_back(self) -> None:
        """Release every lease of this replica (they would lapse by themselves: a failure is
        only logged)."""
        if self.renewed is None and not self.held:
            return
        try:
            lease.give_back_all(self.store, self.replica)
        except Exception as exc:
            log.warning("could not release the leases of this replica: %s", brief(exc))
        self.renewed = None
