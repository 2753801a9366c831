"""Who you talk to, how often, and when last; and suggested identity groups (never merged)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from daemon.clock import now_utc
from daemon.store.sql import Db, instant, is_sqlite, owner, rows, stamp
from daemon.store.vocab import Channel, Direction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# Bulk mail is left out of the inbound count; the total decides the order. The unary plus keeps
# SQLite from walking the member's contacts first: the read stays driven by the time index.
COUNTED = """
SELECT address, name, n_in, n_out, n_meet, last_at, first_at FROM (
  SELECT c.address AS address, c.display_name AS name,
    SUM(CASE WHEN NOT t.bulk AND t.channel = :email AND t.direction = :inbound
        THEN 1 ELSE 0 END) AS n_in,
    SUM(CASE WHEN t.channel = :email AND t.direction = :outbound THEN 1 ELSE 0 END) AS n_out,
    SUM(CASE WHEN t.channel = :meeting THEN 1 ELSE 0 END) AS n_meet,
    MAX(t.at) AS last_at, c.first_seen AS first_at
  FROM contacts c JOIN touchpoints t ON t.contact_id = c.id
  WHERE +c.member_id = :member AND t.at <= :now
  GROUP BY c.id, c.address, c.display_name, c.first_seen) AS counted
WHERE n_in + n_out + n_meet > 0
ORDER BY n_in + n_out + n_meet DESC, address"""
NAMES = "SELECT address, display_name FROM contacts WHERE member_id = :member"
TOUCHES = ("SELECT c.address, c.display_name, COUNT(t.id) FROM contacts c "
           "LEFT JOIN touchpoints t ON t.contact_id = c.id WHERE c.member_id = :member "
           "GROUP BY c.id, c.address, c.display_name")


@dataclass(frozen=True, slots=True)
class ContactRow:
    address: str
    name: str
    inbound: int
    outbound: int
    meetings: int
    last: datetime | None
    first: datetime | None


def contact_rows(db: Db | Session, limit: int | None = None,
                 now: datetime | None = None, member: int | None = None) -> list[ContactRow]:
    """The member's contacts (the handle's, or ``member`` given with a session) with their
    counts up to ``now``, most touchpoints first (bulk mail left out of the counts; upcoming
    meetings are not contact yet)."""
    params = {"member": owner(db, member),
              "email": Channel.EMAIL.value, "meeting": Channel.MEETING.value,
              "inbound": Direction.INBOUND.value, "outbound": Direction.OUTBOUND.value,
              "now": stamp(now or now_utc(), is_sqlite(db))}
    sql = COUNTED
    if limit is not None:
        sql, params["limit"] = sql + " LIMIT :limit", limit
    return [ContactRow(a, n, int(i or 0), int(o or 0), int(m or 0), instant(last),
                       instant(first))
            for a, n, i, o, m, last, first in rows(db, sql, params)]


def suggested_groups(db: Db | Session, member: int | None = None
                     ) -> list[tuple[str, list[str]]]:
    """Addresses that look like one person: the same display name on several addresses, or the
    same local part across domains. Suggestions only; ``[[people]]`` is where a user merges."""
    by_name: dict[str, set[str]] = defaultdict(set)
    by_local: dict[str, set[str]] = defaultdict(set)
    for address, name in rows(db, NAMES, {"member": owner(db, member)}):
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


def touchpoint_counts(db: Db | Session, member: int | None = None
                      ) -> list[tuple[str, str, int]]:
    """Every contact of the member as (address, display name or "", touchpoints), none left
    out."""
    return [(a, n or "", int(c))
            for a, n, c in rows(db, TOUCHES, {"member": owner(db, member)})]
