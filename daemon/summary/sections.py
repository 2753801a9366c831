"""The summary's store-only sections: replies you may owe, new relationships, sync health.

The scoring model answers "who is going quiet"; these three sections are plain facts from the
touchpoints and the sync state, read by :mod:`daemon.model.threads` (from the touchpoint
columns the model reads too) and :mod:`daemon.store.health`, and judged here (who is owed,
what is new, what is stale).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from daemon.model.hidden import Hidden
from daemon.model.threads import LastMessage, first_contacts, last_messages, thread_counts
from daemon.store.columns import TouchpointColumns
from daemon.store.health import sync_state
from daemon.store.vocab import AccountStatus, Direction

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
    link: str | None = None  # the thread in the user's web mail (daemon.summary.links)


@dataclass(frozen=True, slots=True)
class OwedPerson:
    """One person you may owe replies to: their waiting threads, longest wait first."""

    address: str
    name: str
    threads: tuple[OwedReply, ...]
    waiting_days: float  # the longest wait among their threads
    since: datetime  # when the longest-waiting message arrived
    strength: float  # the model's strength of the relationship (0 when it does not know them)
    priority: float  # the rank key: (1 + log(1 + strength)) x waiting_days
    link: str | None = None  # the longest-waiting thread in the user's web mail


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


def owed_replies(cols: TouchpointColumns, as_of: datetime, *, min_days: int, max_group: int,
                 hidden: Hidden) -> list[OwedReply]:
    """Threads (of the member whose columns these are) whose latest message (up to ``as_of``)
    is an inbound, direct, human message to them, unanswered for more than ``min_days`` days;
    oldest wait first."""
    rows = last_messages(cols, as_of, since=as_of - timedelta(days=OWED_WINDOW_DAYS),
                         until=as_of - timedelta(days=min_days))
    by_thread: dict[str, list[LastMessage]] = {}
    for row in rows:
        by_thread.setdefault(row.thread_key, []).append(row)
    found = []
    for tps in by_thread.values():
        if len(tps) != 1:  # several counterparts on the last message: it was yours, or a group
            continue
        m = tps[0]
        if (m.direction != Direction.INBOUND or not m.direct or m.noise
                or m.group_size > max_group or hidden(m.address)):
            continue
        found.append(m)
    counts = thread_counts(cols, found, as_of)
    out = [OwedReply(m.address, m.name or m.address, m.thread_key, m.at,
                     (as_of - m.at).total_seconds() / 86400,
                     counts.get((m.thread_key, m.address), 1), m.group_size)
           for m in found]
    return sorted(out, key=lambda o: (o.last_at, o.address))


def owed_by_person(owed: Sequence[OwedReply],
                   strength: Mapping[str, float]) -> list[OwedPerson]:
    """``owed`` grouped into one :class:`OwedPerson` per address, ranked by how much the
    relationship matters (``strength`` by address) and how long they have waited."""
    threads: dict[str, list[OwedReply]] = {}
    for o in owed:
        threads.setdefault(o.address, []).append(o)
    out = []
    for address, mine in threads.items():
        mine.sort(key=lambda o: (-o.waiting_days, o.last_at, o.thread_key))  # longest first
        oldest, power = mine[0], strength.get(address, 0.0)
        # A product, not a tie-break: a close colleague waiting 4 days outranks a stranger
        # waiting 5, but a stranger waiting three weeks still outranks them.
        priority = (1.0 + math.log1p(max(power, 0.0))) * oldest.waiting_days
        out.append(OwedPerson(address, oldest.name, tuple(mine), oldest.waiting_days,
                              oldest.last_at, power, priority, oldest.link))
    return sorted(out, key=lambda p: (-p.priority, -p.waiting_days, p.address))


def new_relationships(cols: TouchpointColumns, as_of: datetime, *, max_group: int,
                      hidden: Hidden) -> list[NewRelationship]:
    """Contacts (of the member whose columns these are) whose first two-way exchange (both
    directions seen) or first meeting, counting only human, small-group touchpoints, happened
    in the 7 days before ``as_of``."""
    start = as_of - timedelta(days=NEW_WINDOW_DAYS)
    firsts: dict[str, dict[Direction, datetime]] = {}
    totals: dict[str, int] = {}
    names: dict[str, str] = {}
    for row in first_contacts(cols, as_of, max_group=max_group, since=start):
        firsts.setdefault(row.address, {})[row.direction] = row.first
        totals[row.address] = totals.get(row.address, 0) + row.touchpoints
        names[row.address] = row.name or row.address
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
                configured: Sequence[tuple[str, str]] = (), *,
                member: int | None = None, organisation: Collection[str] = ()
                ) -> list[AccountHealth]:
    """Every account (of ``member``, an id, when given: their summary shows their own) with its
    status, error and the fix for it, and its last good sync. ``configured`` (name, kind)
    pairs, when given, decide which accounts show: those the store has never seen appear as
    never synced, and accounts dropped from the config disappear. An account named in
    ``organisation`` signs in with the organisation's credentials: a refused one reads
    ``refused`` (the fix is the administrator's), not as needing the member's sign-in."""
    out = []
    names = {name for name, _ in configured}
    for acc in sync_state(session, member):
        if configured and acc.name not in names:
            continue
        names.discard(acc.name)
        status, error, fix, last = acc.status, acc.last_error, acc.fix, acc.last_success_at
        if status == AccountStatus.NEEDS_REAUTH and acc.name in organisation:
            status = AccountStatus.REFUSED
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
