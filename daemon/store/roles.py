"""The reads behind telling people from lists and robots (:mod:`daemon.model.roles` judges):
per contact, how much mail went each way; for the few that could be robots, thread by thread;
and, for addresses that only receive, how many threads and different correspondents shared
the user's mail with them.

Grouped queries only: one row per contact reaches Python, whatever the store's size, and only
the first reads every touchpoint (from an index).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session, aliased

from daemon.store.columns import IN, MUTUAL, OUT, TouchpointColumns
from daemon.store.models import Contact, Touchpoint
from daemon.store.vocab import Channel, Direction

CHUNK = 500  # ids per IN (...) clause: well under SQLite's bound-parameter limit


class Exchange(NamedTuple):
    """How mail went between the user and one contact before a time (a named tuple: a report
    makes one per contact, and a frozen dataclass's ``__init__`` cost twice the reading)."""

    contact_id: int
    address: str
    name: str
    inbound: int  # emails from them
    inbound_bulk: int  # of which carried bulk or automated headers
    outbound: int  # emails from the user to them
    meetings: int


@dataclass(frozen=True, slots=True)
class Threads:
    """One contact's threads: those they wrote in, those the user also wrote to them in, and
    those where they wrote again after the user's first mail to them."""

    wrote: int
    replied: int
    answered: int


def exchanges(session: Session, before: datetime, member: int) -> list[Exchange]:
    """Every contact of ``member`` (an id) with a touchpoint before ``before``, with its
    :class:`Exchange` counts.
    One pass over the (contact, direction, bulk, ..., at) index: no table rows are read."""
    d = Touchpoint.direction
    counts = (
        select(Touchpoint.contact_id.label("cid"),
               func.sum(case((d == Direction.INBOUND, 1), else_=0)).label("n_in"),
               func.sum(case((and_(d == Direction.INBOUND, Touchpoint.bulk), 1),
                             else_=0)).label("n_bulk"),
               func.sum(case((d == Direction.OUTBOUND, 1), else_=0)).label("n_out"),
               func.sum(case((d == Direction.MUTUAL, 1), else_=0)).label("n_meet"))
        .where(Touchpoint.at < before).group_by(Touchpoint.contact_id).subquery())
    c = counts.c
    rows = session.execute(select(Contact.id, Contact.address, Contact.display_name, c.n_in,
                                  c.n_bulk, c.n_out, c.n_meet)
                           .join(counts, c.cid == Contact.id)
                           # the member on the contact: the scan above stays on its index
                           .where(Contact.member_id == member))
    return [Exchange(cid, a, n or "", *(int(v or 0) for v in rest))
            for cid, a, n, *rest in rows]


def exchanges_of(cols: TouchpointColumns, before: datetime) -> list[Exchange] | None:
    """:func:`exchanges` from the frame's columns (contact id order), or None when they cannot
    tell: a touchpoint in the very second of ``before`` (the columns hold whole seconds)."""
    edge = before.timestamp()
    whole = math.floor(edge)
    if whole != edge and bool(np.any(cols.t == whole)):
        return None
    mine = cols.t < edge  # exact for whole seconds below a whole second, or any other
    contact, direction = cols.contact[mine], cols.direction[mine]
    size = max((c for c, _, _ in cols.contacts), default=0) + 1

    def count(where: np.ndarray) -> list[int]:
        counts: list[int] = np.bincount(contact[where], minlength=size).tolist()
        return counts

    inbound = direction == IN
    n_in, n_bulk = count(inbound), count(inbound & cols.bulk[mine])
    n_out, n_meet = count(direction == OUT), count(direction == MUTUAL)
    seen = count(np.ones(contact.size, dtype=bool))
    return [Exchange(cid, a, n, n_in[cid], n_bulk[cid], n_out[cid], n_meet[cid])
            for cid, a, n in sorted(cols.contacts) if seen[cid]]


def threads(session: Session, contact_ids: Sequence[int],
            before: datetime) -> dict[int, Threads]:
    """:class:`Threads` of each contact id, from their email before ``before``."""
    email = Touchpoint.channel == Channel.EMAIL
    inbound = email & (Touchpoint.direction == Direction.INBOUND)
    outbound = email & (Touchpoint.direction == Direction.OUTBOUND)
    out: dict[int, Threads] = {}
    for start in range(0, len(contact_ids), CHUNK):
        per_thread = (
            select(Touchpoint.contact_id.label("cid"),
                   func.sum(case((inbound, 1), else_=0)).label("n_in"),
                   func.sum(case((outbound, 1), else_=0)).label("n_out"),
                   func.min(case((outbound, Touchpoint.at))).label("first_out"),
                   func.max(case((inbound, Touchpoint.at))).label("last_in"))
            .where(Touchpoint.contact_id.in_(list(contact_ids[start:start + CHUNK])),
                   Touchpoint.at < before)
            .group_by(Touchpoint.contact_id, Touchpoint.thread_key).subquery())
        t = per_thread.c
        wrote = t.n_in > 0
        both = wrote & (t.n_out > 0)
        rows = session.execute(
            select(t.cid, func.sum(case((wrote, 1), else_=0)),
                   func.sum(case((both, 1), else_=0)),
                   func.sum(case((and_(both, t.last_in > t.first_out), 1), else_=0)))
            .group_by(t.cid))
        out.update({cid: Threads(int(w or 0), int(r or 0), int(a or 0)) for cid, w, r, a in rows})
    return out


def audience(session: Session, contact_ids: Sequence[int], before: datetime,
             writers: Collection[int]) -> dict[int, tuple[int, int]]:
    """For each contact id: (threads of the user's mail to them, different other counterparts
    of that mail who have written to the user themselves) before ``before``. ``writers``: the
    ids of the contacts with inbound mail before ``before`` (from :func:`exchanges`), so no
    query scans every touchpoint again to find them."""
    out: dict[int, tuple[int, int]] = {}
    other = aliased(Touchpoint)
    mine = (Touchpoint.at < before, Touchpoint.channel == Channel.EMAIL,
            Touchpoint.direction == Direction.OUTBOUND)
    for start in range(0, len(contact_ids), CHUNK):
        ids = list(contact_ids[start:start + CHUNK])
        threads = session.execute(
            select(Touchpoint.contact_id, func.count(distinct(Touchpoint.thread_key)))
            .where(Touchpoint.contact_id.in_(ids), *mine).group_by(Touchpoint.contact_id))
        shared = session.execute(  # each (contact, co-recipient) pair once
            select(Touchpoint.contact_id, other.contact_id).distinct()
            .join(other, and_(other.item_id == Touchpoint.item_id,
                              other.contact_id != Touchpoint.contact_id))
            .where(Touchpoint.contact_id.in_(ids), *mine))
        people = Counter(cid for cid, co in shared if co in writers)
        out.update({cid: (int(n), people[cid]) for cid, n in threads})
    return out
