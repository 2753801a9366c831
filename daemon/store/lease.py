"""Leases in the store: who runs on it, and which replica does which piece of work.

A lease is a row of ``daemon_leases`` (name, holder, since, expires_at), so it works the same
on SQLite and PostgreSQL and across machines. Its holder renews it every ``RENEW_EVERY``;
another replica takes it over once it has expired (``TTL`` after the last renewal, so a
killed replica blocks no one for long). Taking over is a compare-and-set on the old row's
``since`` and ``expires_at``: of two replicas taking over at once, one wins (on PostgreSQL the
loser's UPDATE waits for the winner's row lock, then no longer matches). A finished job
releases its lease.

Names: ``daemon`` is the whole store (SQLite: one daemon per store; also taken over at once
when its holder is a process of this machine that no longer exists); ``sync:<account>``,
``summary:<member>`` and ``replica:<id>`` (a replica's presence, for ``keepwarm status``) are
the work of replicas on PostgreSQL. A holder is a replica id (:func:`replica_id`): one per
running daemon, so two daemons in one process are two holders.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from daemon.store.replicas import Holder, find, holders
from daemon.store.sql import Db, stamp

NAME = "daemon"
__all__ = ["Holder", "Taken", "acquire", "find", "give_back", "holders", "take"]
TTL = timedelta(minutes=3)
RENEW_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Taken:
    """What :func:`take` found: ``won``, and the other party (lost: who holds the lease; won:
    the expired holder taken over, which died holding it; None: the lease was free)."""

    won: bool
    other: Holder | None = None


def me() -> tuple[str, int]:
    """This process: (host name, pid)."""
    return socket.gethostname(), os.getpid()


def replica_id() -> str:
    """A new replica's id: ``host:pid:random`` (at most 64 characters)."""
    host, pid = me()
    return f"{host[:40]}:{pid}:{secrets.token_hex(4)}"


# -- the whole store: one daemon per SQLite store --------------------------------------------

def acquire(store: Db, now: datetime, replica: str | None = None,
            ttl: timedelta = TTL) -> Holder | None:
    """Take the store's lease for ``replica`` (default: this process); None when taken, else
    who holds it."""
    host, pid = me()
    replica = replica or f"{host[:40]}:{pid}"
    values = {"name": NAME, "host": host, "pid": pid, "replica": replica,
              "now": stamp(now, store.sqlite), "expires": stamp(now + ttl, store.sqlite)}
    current = find(store, NAME)
    if current is None:
        if store.write(_INSERT, values) == 1:
            return None
    elif not _lapsed(current, now) and current.replica != replica:
        return Holder(current.host, current.pid, current.since, current.replica)
    # Compare-and-set on the old holder: of two daemons taking over, one wins.
    elif store.write(_TAKE_OVER_STORE, {**values, "old_host": current.host,
                                        "old_pid": current.pid,
                                        "old_since": stamp(current.since, store.sqlite)}) == 1:
        return None
    return holder(store) or Holder("?", 0, now)


def holder(store: Db) -> Holder | None:
    """The store lease's holder, expired or not (None: nobody)."""
    found = find(store, NAME)
    return Holder(found.host, found.pid, found.since, found.replica) if found else None


def renew(store: Db, now: datetime, replica: str | None = None) -> bool:
    """Extend the store lease of ``replica`` (default: this process); False when another
    daemon holds it now."""
    host, pid = me()
    return store.write("UPDATE daemon_leases SET expires_at = :expires "
                       "WHERE name = :name AND replica = :replica",
                       {"expires": stamp(now + TTL, store.sqlite), "name": NAME,
                        "replica": replica or f"{host[:40]}:{pid}"}) == 1


def release(store: Db, replica: str | None = None) -> None:
    """Give the store lease back (a clean stop), if ``replica`` (default: this process)
    holds it."""
    host, pid = me()
    store.write("DELETE FROM daemon_leases WHERE name = :name AND replica = :replica",
                {"name": NAME, "replica": replica or f"{host[:40]}:{pid}"})


def _lapsed(lease: Holder, now: datetime) -> bool:
    """Expired, or held by a process of this machine that has gone."""
    return (lease.expires_at is not None and lease.expires_at <= now) or _gone(lease)


def _gone(lease: Holder) -> bool:
    """Held by a process of this machine that is no longer running (killed: no need to wait
    for the expiry)."""
    if lease.host != socket.gethostname():
        return False
    try:
        os.kill(lease.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


# -- named leases: the work of replicas ------------------------------------------------------

_INSERT = ("INSERT INTO daemon_leases (name, host, pid, since, expires_at, replica) "
           "VALUES (:name, :host, :pid, :now, :expires, :replica) ON CONFLICT (name) DO NOTHING")
_TAKE_OVER = ("UPDATE daemon_leases SET host = :host, pid = :pid, since = :now, "
              "expires_at = :expires, replica = :replica "
              "WHERE name = :name AND since = :old_since AND expires_at = :old_expires")
_TAKE_OVER_STORE = ("UPDATE daemon_leases SET host = :host, pid = :pid, since = :now, "
                    "expires_at = :expires, replica = :replica WHERE name = :name "
                    "AND host = :old_host AND pid = :old_pid AND since = :old_since")


def take(store: Db, name: str, replica: str, now: datetime, ttl: timedelta = TTL) -> Taken:
    """Take lease ``name`` for ``replica`` unless it is held (by anyone, ``replica`` too:
    a lease is one piece of work at a time) and has not expired."""
    current = find(store, name)
    if (current is not None and current.expires_at is not None and current.expires_at > now
            and not _gone(current)):
        return Taken(False, current)
    host, pid = me()
    values = {"name": name, "host": host, "pid": pid, "replica": replica,
              "now": stamp(now, store.sqlite), "expires": stamp(now + ttl, store.sqlite)}
    if current is None:
        if store.write(_INSERT, values) == 1:
            return Taken(True)
    elif store.write(_TAKE_OVER, {**values, "old_since": stamp(current.since, store.sqlite),
                                  "old_expires": stamp(current.expires_at, store.sqlite)}) == 1:
        return Taken(True, current)
    return Taken(False, find(store, name))  # another replica was quicker


def renew_all(store: Db, replica: str, now: datetime, ttl: timedelta = TTL) -> set[str]:
    """Extend every lease ``replica`` holds; the names it still holds."""
    store.write("UPDATE daemon_leases SET expires_at = :expires WHERE replica = :replica",
                {"expires": stamp(now + ttl, store.sqlite), "replica": replica})
    return {str(r[0]) for r in store.rows(
        "SELECT name FROM daemon_leases WHERE replica = :replica", {"replica": replica})}


def give_back(store: Db, name: str, replica: str) -> None:
    """Release lease ``name`` if ``replica`` holds it (the job is done)."""
    store.write("DELETE FROM daemon_leases WHERE name = :name AND replica = :replica",
                {"name": name, "replica": replica})


def give_back_all(store: Db, replica: str) -> None:
    """Release every lease of ``replica`` (a clean stop)."""
    store.write("DELETE FROM daemon_leases WHERE replica = :replica", {"replica": replica})


def forget_replicas(store: Db, now: datetime) -> None:
    """Drop the presence rows of replicas that are gone (expired)."""
    store.write("DELETE FROM daemon_leases WHERE name LIKE 'replica:%' AND expires_at <= :now",
                {"now": stamp(now, store.sqlite)})
