"""The reads behind telling people from lists and robots (:mod:`daemon.model.roles` judges):
per contact, how mail went back and forth with them, thread by thread; and, for addresses that
only receive, how many threads and different correspondents shared the user's mail with them.

Grouped queries only: one row per contact reaches Python, whatever the store's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session, aliased

from daemon.store.models import Contact, Touchpoint
from daemon.store.vocab import Channel, Direction

CHUNK = 500  # ids per IN (...) clause: well under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class Exchange:
    """How mail went between the user and one contact before a time."""

    contact_id: int
    address: str
    name: str
    inbound: int  # emails from them
    inbound_bulk: int  # of which carried bulk or automated headers
    outbound: int  # emails from the user to them
    meetings: int
    threads_in: int  # threads they wrote in
    threads_replied: int  # ... in which the user also wrote to them
    threads_answered: int  # ... in which they wrote again after the user's first mail to them


def exchanges(session: Session, before: datetime) -> list[Exchange]:
    """Every contact with a touchpoint before ``before``, with its :class:`Exchange` counts."""
    email = Touchpoint.channel == Channel.EMAIL
    inbound = email & (Touchpoint.direction == Direction.INBOUND)
    outbound = email & (Touchpoint.direction == Direction.OUTBOUND)
    per_thread = (
        select(Touchpoint.contact_id.label("cid"),
               func.sum(case((inbound, 1), else_=0)).label("n_in"),
               func.sum(case((inbound & Touchpoint.bulk, 1), else_=0)).label("n_bulk"),
               func.sum(case((outbound, 1), else_=0)).label("n_out"),
               func.sum(case((Touchpoint.channel == Channel.MEETING, 1), else_=0)).label("n_meet"),
               func.min(case((outbound, Touchpoint.at))).label("first_out"),
               func.max(case((inbound, Touchpoint.at))).label("last_in"))
        .where(Touchpoint.at < before)
        .group_by(Touchpoint.contact_id, Touchpoint.thread_key).subquery())
    t = per_thread.c
    wrote = t.n_in > 0
    both = wrote & (t.n_out > 0)
    query = (
        select(Contact.id, Contact.address, Contact.display_name, func.sum(t.n_in),
               func.sum(t.n_bulk), func.sum(t.n_out), func.sum(t.n_meet),
               func.sum(case((wrote, 1), else_=0)), func.sum(case((both, 1), else_=0)),
               func.sum(case((and_(both, t.last_in > t.first_out), 1), else_=0)))
        .join(per_thread, t.cid == Contact.id).group_by(Contact.id))
    return [Exchange(cid, a, n or "", *(int(v or 0) for v in rest))
            for cid, a, n, *rest in session.execute(query)]


def audience(session: Session, contact_ids: Sequence[int],
             before: datetime) -> dict[int, tuple[int, int]]:
    """For each contact id: (threads of the user's mail to them, different other counterparts
    of that mail who have written to the user themselves) before ``before``."""
    out: dict[int, tuple[int, int]] = {}
    other = aliased(Touchpoint)
    # a join, not IN (subquery): SQLite probes an IN list row by row, 50 times slower here
    writers = (select(Touchpoint.contact_id.label("cid"))
               .where(Touchpoint.direction == Direction.INBOUND, Touchpoint.at < before)
               .distinct().subquery())
    mine = (Touchpoint.at < before, Touchpoint.channel == Channel.EMAIL,
            Touchpoint.direction == Direction.OUTBOUND)
    for start in range(0, len(contact_ids), CHUNK):
        ids = list(contact_ids[start:start + CHUNK])
        threads = session.execute(
            select(Touchpoint.contact_id, func.count(distinct(Touchpoint.thread_key)))
            .where(Touchpoint.contact_id.in_(ids), *mine).group_by(Touchpoint.contact_id))
        people: dict[int, int] = {cid: n for cid, n in session.execute(
            select(Touchpoint.contact_id, func.count(distinct(other.contact_id)))
            .join(other, and_(other.item_id == Touchpoint.item_id,
                              other.contact_id != Touchpoint.contact_id))
            .join(writers, writers.c.cid == other.contact_id)
            .where(Touchpoint.contact_id.in_(ids), *mine).group_by(Touchpoint.contact_id))}
        out.update({cid: (int(n), int(people.get(cid, 0))) for cid, n in threads})
    return out
