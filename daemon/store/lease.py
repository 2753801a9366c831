"""One daemon per store: a lease row in the store, held and renewed by the running daemon.

The lease lives with the data (``daemon_leases``), so it works the same on SQLite and
PostgreSQL and across machines, whatever state folder each daemon uses. The holder renews it
every ``RENEW_EVERY``; another daemon takes it over once it has expired (``TTL`` after the last
renewal, so a killed daemon blocks no one for long) or at once when the holder is a process of
this same machine that no longer exists. A clean stop releases it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from daemon.store.db import Store
from daemon.store.models import DaemonLease

NAME = "daemon"
# KEEPWARM_LEASE_TTL (seconds) shortens the expiry for tests that kill replicas; renewals
# follow at a third of it.
TTL = timedelta(seconds=float(os.environ.get("KEEPWARM_LEASE_TTL") or 180))
RENEW_EVERY = TTL / 3


@dataclass(frozen=True)
class Holder:
    """Who holds the lease: a process on a machine, since when."""

    host: str
    pid: int
    since: datetime

    def __str__(self) -> str:
        return f"host {self.host}, pid {self.pid}, since {self.since:%Y-%m-%d %H:%M UTC}"


def me() -> tuple[str, int]:
    """This process: (host name, pid)."""
    return socket.gethostname(), os.getpid()


def acquire(store: Store, now: datetime) -> Holder | None:
    """Take the lease for this process; None when taken, else who holds it."""
    host, pid = me()
    try:
        with store.transaction() as s:
            current = s.get(DaemonLease, NAME)
            if current is None:
                s.add(DaemonLease(name=NAME, host=host, pid=pid, since=now,
                                  expires_at=now + TTL))
                return None
            if not _lapsed(current, now) and (current.host, current.pid) != (host, pid):
                return Holder(current.host, current.pid, current.since)
            # Compare-and-set on the old holder: of two daemons taking over, one wins.
            done = s.execute(update(DaemonLease).where(
                DaemonLease.name == NAME, DaemonLease.host == current.host,
                DaemonLease.pid == current.pid, DaemonLease.since == current.since)
                .values(host=host, pid=pid, since=now, expires_at=now + TTL))
            if getattr(done, "rowcount", 0) == 1:
                return None
    except IntegrityError:  # another daemon inserted the row first
        pass
    return holder(store) or Holder("?", 0, now)


def holder(store: Store) -> Holder | None:
    """The current holder, expired or not (None: nobody)."""
    with store.session() as s:
        row = s.execute(select(DaemonLease).where(DaemonLease.name == NAME)).scalar()
        return Holder(row.host, row.pid, row.since) if row else None


def renew(store: Store, now: datetime) -> bool:
    """Extend this process's lease; False when another daemon holds it now."""
    host, pid = me()
    with store.transaction() as s:
        done = s.execute(update(DaemonLease).where(
            DaemonLease.name == NAME, DaemonLease.host == host, DaemonLease.pid == pid)
            .values(expires_at=now + TTL))
    return bool(getattr(done, "rowcount", 0) == 1)


def release(store: Store) -> None:
    """Give the lease back (a clean stop), if this process holds it."""
    host, pid = me()
    with store.transaction() as s:
        s.execute(delete(DaemonLease).where(DaemonLease.name == NAME,
                                            DaemonLease.host == host, DaemonLease.pid == pid))


def _lapsed(lease: DaemonLease, now: datetime) -> bool:
    """Expired, or held by a process of this machine that has gone."""
    if lease.expires_at <= now:
        return True
    if lease.host != socket.gethostname():
        return False
    try:
        os.kill(lease.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False
