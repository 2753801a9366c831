"""Who does what on a store: the leases its replicas hold, and each member's latest summary.

The readers of :mod:`daemon.store.lease`'s rows, for the daemon and ``keepwarm status`` alike,
through either store handle (``daemon.store.sql``; this module imports only the standard
library, so ``status`` stays quick).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from daemon.store.sql import Db, Row, instant

_COLUMNS = "SELECT name, host, pid, since, expires_at, replica FROM daemon_leases"
_LATEST = ("SELECT m.name, s.iso_week, s.status, s.sent_at, s.attempted_at "
           "FROM sent_summaries s JOIN members m ON m.id = s.member_id "
           "WHERE s.iso_week = (SELECT max(t.iso_week) FROM sent_summaries t "
           "WHERE t.member_id = s.member_id) ORDER BY m.name")


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: a process on a machine (a replica of it), since when."""

    host: str
    pid: int
    since: datetime
    replica: str | None = None
    name: str = "daemon"
    expires_at: datetime | None = None

    def __str__(self) -> str:
        return f"host {self.host}, pid {self.pid}, since {self.since:%Y-%m-%d %H:%M UTC}"


@dataclass(frozen=True)
class Latest:
    """A member's most recent summary week in the ledger."""

    member: str
    iso_week: str
    status: str
    sent_at: datetime | None  # delivered (until then: claimed)
    attempted_at: datetime | None


def find(db: Db, name: str) -> Holder | None:
    """Lease ``name``'s holder, expired or not (None: free)."""
    found = db.rows(_COLUMNS + " WHERE name = :name", {"name": name})
    return _holder(found[0]) if found else None


def holders(db: Db) -> list[Holder]:
    """Every lease, by name, expired or not."""
    return [_holder(r) for r in db.rows(_COLUMNS + " ORDER BY name")]


def latest_summaries(db: Db) -> list[Latest]:
    """Each member's latest summary week, by member name."""
    return [Latest(str(m), str(w), str(st), instant(sent), instant(tried))
            for m, w, st, sent, tried in db.rows(_LATEST)]


def lines(db: Db, now: datetime) -> list[str]:
    """``keepwarm status``'s lines about replicas, leases and each member's summary."""
    out = []
    for h in holders(db):
        state = "expired" if h.expires_at is not None and h.expires_at <= now else "held"
        who = h.replica or f"{h.host}:{h.pid}"
        out.append(f"lease {h.name}: {state} by replica {who} since "
                   f"{h.since:%Y-%m-%d %H:%M UTC}")
    for s in latest_summaries(db):
        when = s.sent_at if s.status == "sent" else s.attempted_at
        at = f"{when:%Y-%m-%d %H:%M UTC}" if when else "?"
        out.append(f"summary of {s.member}: {s.iso_week} {s.status} {at}")
    return out


def _holder(row: Row) -> Holder:
    name, host, pid, since, expires, replica = row
    when = instant(since)
    assert when is not None  # a NOT NULL column
    return Holder(str(host), int(pid), when, replica, str(name), instant(expires))
