"""Read the summary's store-only sections: replies you may owe, new relationships, sync health.

The scoring model answers "who is going quiet"; these three sections are plain facts from the
touchpoints and the sync state, so they are read here with a few grouped queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daemon.model.hidden import Hidden
from daemon.store.health import sync_state
from daemon.store.models import Contact, Touchpoint
from daemon.store.vocab import AccountStatus, Channel, Direction

OWED_WINDOW_DAYS = 30  # an unanswered thread older than this is history, not a to-do
NEW_WINDOW_DAYS = 7
STALE_SYNC_DAYS = 2  # an account not synced for this long is reported as stale


@dataclass(frozen=True, slots=True)
class OwedReply:
    """A thread whose last message is theirs, sent to you directly, still unanswered."""

    address: str
    name: str
    thread_key: str
    last_at: datetime  # when their last message arrived
    waiting_days: float
    messages: int  # messages with them in the thread, both ways
    group_size: int


@dataclass(frozen=True, slots=True)
class NewRelationship:
    """A contact whose first two-way exchange or meeting fell in the week before as-of."""

    address: str
    name: str
    since: datetime  # the moment it became two-way (or the first meeting)
    how: str  # exchange | meeting
    touchpoints: int  # counted touchpoints up to as-of


@dataclass(frozen=True, slots=True)
class AccountHealth:
    """One account's sync state as the summary shows it."""

    name: str
    kind: str
    status: AccountStatus
    error: str | None
    fix: str | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None

    @property
    def problem(self) -> bool:
        return self.status != AccountStatus.OK


def owed_replies(session: Session, as_of: datetime, *, min_days: int, max_group: int,
                 hidden: Hidden) -> list[OwedReply]:
    """Threads whose latest message (up to ``as_of``) is an inbound, direct, human message to
    you, unanswered for more than ``min_days`` days; oldest wait first."""
    start = as_of - timedelta(days=OWED_WINDOW_DAYS)
    last = (select(Touchpoint.thread_key, func.max(Touchpoint.at).label("last_at"))
            .where(Touchpoint.thread_key.is_not(None), Touchpoint.channel == Channel.EMAIL,
                   Touchpoint.at <= as_of)
            .group_by(Touchpoint.thread_key).subquery())
    rows = session.execute(
        select(Touchpoint.thread_key, Touchpoint.at, Touchpoint.direction, Touchpoint.direct,
               Touchpoint.bulk, Touchpoint.listed, Touchpoint.group_size, Contact.address,
               Contact.display_name)
        .join(last, (last.c.thread_key == Touchpoint.thread_key)
              & (last.c.last_at == Touchpoint.at))
        .join(Contact, Contact.id == Touchpoint.contact_id)
        .where(last.c.last_at >= start, last.c.last_at <= as_of - timedelta(days=min_days))
    ).all()
    by_thread: dict[str, list[Any]] = {}
    for row in rows:
        by_thread.setdefault(row[0] or "", []).append(row)
    found = []
    for key, tps in by_thread.items():
        if len(tps) != 1:  # several counterparts on the last message: it was yours, or a group
            continue
        _, at, direction, direct, bulk, listed, size, address, name = tps[0]
        if (direction != Direction.INBOUND or not direct or bulk or listed or size > max_group
                or hidden(address)):
            continue
        found.append((key, at, address, name, size))
    counts = _thread_counts(session, [f[0] for f in found], as_of)
    out = [OwedReply(address, name or address, key, at, (as_of - at).total_seconds() / 86400,
                     counts.get((key, address), 1), size)
           for key, at, address, name, size in found]
    return sorted(out, key=lambda o: (o.last_at, o.address))


def _thread_counts(session: Session, keys: list[str],
                   as_of: datetime) -> dict[tuple[str, str], int]:
    if not keys:
        return {}
    rows = session.execute(
        select(Touchpoint.thread_key, Contact.address, func.count())
        .join(Contact, Contact.id == Touchpoint.contact_id)
        .where(Touchpoint.thread_key.in_(keys), Touchpoint.at <= as_of)
        .group_by(Touchpoint.thread_key, Contact.address))
    return {(k or "", a): int(n) for k, a, n in rows}


def new_relationships(session: Session, as_of: datetime, *, max_group: int,
                      hidden: Hidden) -> list[NewRelationship]:
    """Contacts whose first two-way exchange (both directions seen) or first meeting, counting
    only human, small-group touchpoints, happened in the 7 days before ``as_of``."""
    start = as_of - timedelta(days=NEW_WINDOW_DAYS)
    rows = session.execute(
        select(Contact.address, Contact.display_name, Touchpoint.direction,
               func.min(Touchpoint.at), func.count())
        .join(Contact, Contact.id == Touchpoint.contact_id)
        .where(Touchpoint.at < as_of, ~Touchpoint.bulk, ~Touchpoint.listed,
               Touchpoint.group_size <= max_group)
        .group_by(Contact.id, Touchpoint.direction))
    firsts: dict[str, dict[Direction, datetime]] = {}
    totals: dict[str, int] = {}
    names: dict[str, str] = {}
    for address, name, direction, first, n in rows:
        firsts.setdefault(address, {})[direction] = first
        totals[address] = totals.get(address, 0) + int(n)
        names[address] = name or address
    out = []
    for address, seen in firsts.items():
        moments = []
        if Direction.INBOUND in seen and Direction.OUTBOUND in seen:
            moments.append((max(seen[Direction.INBOUND], seen[Direction.OUTBOUND]), "exchange"))
        if Direction.MUTUAL in seen:
            moments.append((seen[Direction.MUTUAL], "meeting"))
        if not moments:
            continue
        since, how = min(moments)
        if start <= since < as_of and not hidden(address):
            out.append(NewRelationship(address, names[address], since, how, totals[address]))
    return sorted(out, key=lambda r: (r.since, r.address))


def sync_health(session: Session, as_of: datetime,
                configured: Sequence[tuple[str, str]] = ()) -> list[AccountHealth]:
    """Every account with its status, error and the fix for it, and its last good sync.
    ``configured`` (name, kind) pairs, when given, decide which accounts show: those the store
    has never seen appear as never synced, and accounts dropped from the config disappear."""
    out = []
    names = {name for name, _ in configured}
    for acc in sync_state(session):
        if configured and acc.name not in names:
            continue
        names.discard(acc.name)
        status, error, fix, last = acc.status, acc.last_error, acc.fix, acc.last_success_at
        if status == AccountStatus.OK and last is None:
            status, error, fix = AccountStatus.NEVER, "no successful sync yet", None
        elif (status == AccountStatus.OK and last is not None
              and as_of - last > timedelta(days=STALE_SYNC_DAYS)):
            days = (as_of - last).days
            status, error, fix = AccountStatus.STALE, f"no successful sync for {days} days", None
        out.append(AccountHealth(acc.name, acc.kind, status, error or None,
                                 fix or _fix(acc.name, status), acc.last_success_at,
                                 acc.last_attempt_at))
    for name, kind in configured:
        if name in names:
            out.append(AccountHealth(name, kind, AccountStatus.NEVER, "no successful sync yet",
                                     f"keepwarm sync {name}", None, None))
    return sorted(out, key=lambda h: h.name)


def _fix(name: str, status: AccountStatus) -> str | None:
    """The usual fix for ``status`` when the sync engine stored none."""
    if status == AccountStatus.NEEDS_REAUTH:
        return f"keepwarm auth {name}"
    if status in (AccountStatus.ERROR, AccountStatus.STALE, AccountStatus.NEVER):
        return "keepwarm sync"
    return None
