"""The audience of one-way addresses (threads of your mail to them, and co-recipients who have
written to you) is the same when the writers come from the exchanges as when SQL scanned every
touchpoint to find them (the query used before, kept here as the oracle), on both dialects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import and_, distinct, func, select, text
from sqlalchemy.orm import Session, aliased

from daemon.store import Store
from daemon.store.models import Touchpoint
from daemon.store.roles import audience, exchanges
from daemon.store.vocab import Channel, Direction

from helpers.rows import reset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
BEFORE = T0 + timedelta(days=20)
ITEMS = count()
CONTACTS = range(1, 7)

ITEM = st.tuples(
    st.sampled_from(["outbound", "outbound", "inbound", "mutual"]),
    st.lists(st.sampled_from(CONTACTS), min_size=1, max_size=4, unique=True),
    st.integers(0, 30),  # day (some after BEFORE)
    st.sampled_from([None, "k0", "k1", "k2"]),  # thread key
    st.booleans(),  # a meeting
)


def _insert(store: Store, items: list[tuple[Any, ...]]) -> None:
    with store.transaction() as s:
        for direction, contacts, day, key, meeting in items:
            at = T0 + timedelta(days=day)
            stored = at.strftime("%Y-%m-%d %H:%M:%S.%f") if store.sqlite else at
            channel = "meeting" if meeting else "email"
            item = s.execute(text("INSERT INTO items (identity, channel, at) VALUES"
                                  " (:i, :ch, :at) RETURNING id"),
                             {"i": f"a{next(ITEMS)}", "ch": channel, "at": stored}).scalar_one()
            for c in contacts:
                s.execute(text(
                    "INSERT INTO touchpoints (item_id, contact_id, account_id, member_id, at,"
                    " channel, direction, group_size, bulk, listed, direct, thread_key) VALUES"
                    " (:item, :c, 1, :m, :at, :ch, :d, :g, false, false, true, :k)"),
                    {"item": item, "c": c, "m": store.member_id, "at": stored, "ch": channel,
                     "d": "mutual" if meeting else direction, "g": len(contacts),
                     "k": None if meeting else key})


def _oracle(s: Session, ids: list[int], before: datetime) -> dict[int, tuple[int, int]]:
    other = aliased(Touchpoint)
    writers = (select(Touchpoint.contact_id.label("cid"))
               .where(Touchpoint.direction == Direction.INBOUND, Touchpoint.at < before)
               .distinct().subquery())
    mine = (Touchpoint.at < before, Touchpoint.channel == Channel.EMAIL,
            Touchpoint.direction == Direction.OUTBOUND)
    threads = s.execute(
        select(Touchpoint.contact_id, func.count(distinct(Touchpoint.thread_key)))
        .where(Touchpoint.contact_id.in_(ids), *mine).group_by(Touchpoint.contact_id))
    people = dict(s.execute(
        select(Touchpoint.contact_id, func.count(distinct(other.contact_id)))
        .join(other, and_(other.item_id == Touchpoint.item_id,
                          other.contact_id != Touchpoint.contact_id))
        .join(writers, writers.c.cid == other.contact_id)
        .where(Touchpoint.contact_id.in_(ids), *mine).group_by(Touchpoint.contact_id)).all())
    return {cid: (int(n), int(people.get(cid, 0))) for cid, n in threads}


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(ITEM, max_size=30))
def test_the_audience_with_known_writers_equals_the_full_scan(store: Store, items) -> None:
    reset(store, {c: f"P{c}" for c in CONTACTS})
    _insert(store, items)
    with store.session() as s:
        rows = exchanges(s, BEFORE, store.member_id)
        writers = {x.contact_id for x in rows if x.inbound}
        assert audience(s, list(CONTACTS), BEFORE, writers) == _oracle(s, list(CONTACTS),
                                                                        BEFORE)
