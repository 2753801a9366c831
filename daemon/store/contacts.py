"""Who you talk to, how often, and when last; and suggested identity groups (never merged)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from daemon.clock import now_utc
from daemon.store.models import Contact, Touchpoint
from daemon.store.vocab import Channel, Direction


@dataclass(frozen=True, slots=True)
class ContactRow:
    address: str
    name: str
    inbound: int
    outbound: int
    meetings: int
    last: datetime | None
    first: datetime | None


def contact_rows(session: Session, limit: int | None = None,
                 now: datetime | None = None) -> list[ContactRow]:
    """Contacts with their counts up to ``now``, most touchpoints first (bulk mail left out of
    the counts; upcoming meetings are not contact yet)."""
    human = ~Touchpoint.bulk
    email = Touchpoint.channel == Channel.EMAIL
    n_in = func.sum(case((human & email & (Touchpoint.direction == Direction.INBOUND), 1),
                         else_=0))
    n_out = func.sum(case((email & (Touchpoint.direction == Direction.OUTBOUND), 1), else_=0))
    n_meet = func.sum(case((Touchpoint.channel == Channel.MEETING, 1), else_=0))
    total = n_in + n_out + n_meet
    query = (select(Contact.address, Contact.display_name, n_in, n_out, n_meet,
                    func.max(Touchpoint.at), Contact.first_seen)
             .join(Touchpoint, Touchpoint.contact_id == Contact.id)
             .where(Touchpoint.at <= (now or now_utc()))
             .group_by(Contact.id).having(total > 0)
             .order_by(total.desc(), Contact.address).limit(limit))
    return [ContactRow(a, n, int(i or 0), int(o or 0), int(m or 0), last, first)
            for a, n, i, o, m, last, first in session.execute(query)]


def suggested_groups(session: Session) -> list[tuple[str, list[str]]]:
    """Addresses that look like one person: the same display name on several addresses, or the
    same local part across domains. Suggestions only; ``[[people]]`` is where a user merges."""
    by_name: dict[str, set[str]] = defaultdict(set)
    by_local: dict[str, set[str]] = defaultdict(set)
    for address, name in session.execute(select(Contact.address, Contact.display_name)):
        key = " ".join(name.lower().replace(",", " ").split())
        if len(key) > 3 and " " in key:
            by_name[" ".join(sorted(key.split()))].add(address)
        local = address.rpartition("@")[0]
        if len(local) > 4 and any(ch in local for ch in "._-"):
            by_local[local].add(address)
    out: dict[frozenset[str], str] = {}
    for why, groups in (("same name", by_name), ("same local part", by_local)):
        for label, addresses in groups.items():
            if len(addresses) > 1:
                out.setdefault(frozenset(addresses), f"{why}: {label}")
    return sorted(((why, sorted(a)) for a, why in out.items()), key=lambda x: x[1])


def touchpoint_counts(session: Session) -> list[tuple[str, str, int]]:
    """Every contact as (address, display name or "", touchpoints), none left out."""
    rows = session.execute(
        select(Contact.address, Contact.display_name, func.count(Touchpoint.id))
        .join(Touchpoint, Touchpoint.contact_id == Contact.id, isouter=True)
        .group_by(Contact.id))
    return [(a, n or "", int(c)) for a, n, c in rows]
