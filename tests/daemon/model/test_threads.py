"""Owed-reply threads and first contacts from the touchpoint columns equal what SQL groups
from the table (the queries the summary ran before, kept here as the oracle), whatever the
touchpoints, through the column cache or a full read, on both dialects. Times are whole
seconds, as the columns have them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from daemon.model.threads import first_contacts, last_messages, thread_counts
from daemon.store import Store
from daemon.store.columns import touchpoint_columns
from daemon.store.models import Contact, Touchpoint
from daemon.store.vocab import Channel

from helpers.rows import reset

T0 = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = T0 + timedelta(days=40)
ITEMS = count()  # item identities: unique across examples

ROW = st.tuples(
    st.integers(1, 4),  # contact
    # quarter hours after T0: around the windows, often on their day boundaries, some after
    # as-of
    st.builds(lambda day, quarter: day * 96 + quarter, st.integers(8, 42),
              st.sampled_from([0, 0, 1, 48, 95])),
    st.sampled_from(["inbound", "outbound", "mutual"]),
    st.sampled_from([None, "k0", "k1", "k2"]),  # thread key (meetings: none)
    st.booleans(), st.booleans(), st.booleans(),  # bulk, listed, direct
    st.integers(1, 6),  # group size
    st.booleans(),  # a meeting
)


def _reset(store: Store) -> None:
    reset(store, {1: "P1", 2: "P2", 3: "P3", 4: ""})  # contact 4 has no name


def _insert(store: Store, rows: list[tuple[Any, ...]]) -> None:
    with store.transaction() as s:
        for contact, quarter, direction, key, bulk, listed, direct, group, meeting in rows:
            at = T0 + timedelta(minutes=15 * quarter)
            stored = at.strftime("%Y-%m-%d %H:%M:%S.%f") if store.sqlite else at
            channel = "meeting" if meeting else "email"
            item = s.execute(text("INSERT INTO items (identity, channel, at) VALUES"
                                  " (:i, :ch, :at) RETURNING id"),
                             {"i": f"i{next(ITEMS)}", "ch": channel,
                              "at": stored}).scalar_one()
            s.execute(text(
                "INSERT INTO touchpoints (item_id, contact_id, account_id, member_id, at,"
                " channel, direction, group_size, bulk, listed, direct, thread_key) VALUES"
                " (:item, :c, 1, :m, :at, :ch, :d, :g, :b, :l, :di, :k)"),
                {"item": item, "c": contact, "m": store.member_id, "at": stored,
                 "ch": channel, "d": "mutual" if meeting else direction, "g": group,
                 "b": bulk, "l": listed, "di": direct, "k": None if meeting else key})


# --- the oracle: the SQL the summary ran before ------------------------------------------

def _sql_last(s: Session, as_of: datetime, since: datetime, until: datetime,
              member: int) -> set[tuple[Any, ...]]:
    last = (select(Touchpoint.thread_key, func.max(Touchpoint.at).label("last_at"))
            .where(Touchpoint.member_id == member, Touchpoint.thread_key.is_not(None),
                   Touchpoint.channel == Channel.EMAIL, Touchpoint.at <= as_of)
            .group_by(Touchpoint.thread_key).subquery())
    rows = s.execute(
        select(Touchpoint.thread_key, Touchpoint.at, Touchpoint.direction, Touchpoint.direct,
               Touchpoint.bulk, Touchpoint.listed, Touchpoint.group_size, Contact.address,
               Contact.display_name)
        .join(last, (last.c.thread_key == Touchpoint.thread_key)
              & (last.c.last_at == Touchpoint.at))
        .join(Contact, Contact.id == Touchpoint.contact_id)
        .where(Contact.member_id == member, last.c.last_at >= since,
               last.c.last_at <= until)).all()
    counts = dict(((k, a), n) for k, a, n in s.execute(
        select(Touchpoint.thread_key, Contact.address, func.count())
        .join(Contact, Contact.id == Touchpoint.contact_id)
        .where(Touchpoint.at <= as_of, Touchpoint.member_id == member)
        .group_by(Touchpoint.thread_key, Contact.address)).all())
    return {(k, at.astimezone(UTC), str(d), direct, bulk or listed, g, a, n or None,
             counts[(k, a)]) for k, at, d, direct, bulk, listed, g, a, n in rows}


def _sql_first(s: Session, before: datetime, max_group: int, since: datetime,
               member: int) -> set[tuple[Any, ...]]:
    human = (Touchpoint.member_id == member, Touchpoint.at < before, ~Touchpoint.bulk,
             ~Touchpoint.listed, Touchpoint.group_size <= max_group)
    recent = (select(Touchpoint.contact_id).where(*human)
              .group_by(Touchpoint.contact_id, Touchpoint.direction)
              .having(func.min(Touchpoint.at) >= since))
    rows = s.execute(
        select(Contact.address, Contact.display_name, Touchpoint.direction,
               func.min(Touchpoint.at), func.count())
        .join(Contact, Contact.id == Touchpoint.contact_id)
        .where(*human, Touchpoint.contact_id.in_(recent))
        .group_by(Contact.id, Contact.address, Contact.display_name, Touchpoint.direction))
    return {(a, n or None, str(d), first if first.tzinfo else first.replace(tzinfo=UTC),
             int(c)) for a, n, d, first, c in rows}


# --- the properties ------------------------------------------------------------------------

@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(ROW, max_size=25), later=st.lists(ROW, max_size=25),
       owed_days=st.integers(0, 10), window=st.integers(1, 30), max_group=st.integers(1, 6))
def test_the_columns_answer_as_the_grouped_sql_did(store: Store, first, later, owed_days,
                                                   window, max_group) -> None:
    _reset(store)
    _insert(store, first)
    touchpoint_columns(store)  # a report in between: the next read extends its cache
    _insert(store, later)
    since, until = AS_OF - timedelta(days=window), AS_OF - timedelta(days=owed_days)
    with store.session() as s:
        want_last = _sql_last(s, AS_OF, since, until, store.member_id)
        want_first = _sql_first(s, AS_OF, max_group, since, store.member_id)
    for cols in (touchpoint_columns(store, keys=True),
                 touchpoint_columns(store, cached=False, keys=True)):
        rows = last_messages(cols, AS_OF, since=since, until=until)
        counts = thread_counts(cols, rows, AS_OF)
        got_last = {(m.thread_key, m.at, str(m.direction), m.direct, m.noise, m.group_size,
                     m.address, m.name, counts[(m.thread_key, m.address)]) for m in rows}
        assert got_last == want_last
        got_first = {(f.address, f.name, str(f.direction), f.first, f.touchpoints)
                     for f in first_contacts(cols, AS_OF, max_group=max_group, since=since)}
        assert got_first == want_first
