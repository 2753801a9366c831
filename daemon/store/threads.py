"""The summary's reads of threads and first contacts: grouped queries over touchpoints, with no
judgement (who is owed a reply, or new, is decided in :mod:`daemon.summary.sections`). Each reads
one member's touchpoints (``member``, an id)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daemon.store.models import Contact, Touchpoint
from daemon.store.vocab import Channel, Direction

CHUNK = 500  # keys or ids per IN (...) clause: well under SQLite's bound-parameter limit


@dataclass(frozen=True, slots=True)
class LastMessage:
    """One counterpart of the latest email of a thread."""

    thread_key: str
    at: datetime
    direction: Direction
    direct: bool
    bulk: bool
    listed: bool
    group_size: int
    address: str
    name: str | None


@dataclass(frozen=True, slots=True)
class FirstContact:
    """A contact's first human, small-group touchpoint in one direction, and how many."""

    address: str
    name: str | None
    direction: Direction
    first: datetime
    count: int


def _in_window(session: Session, column: Any, since: datetime, until: datetime, *where: Any,
               member: int) -> list[Any]:
    """The distinct ``column`` values of ``member``'s touchpoints in [``since``, ``until``)
    that match ``where``: one scan, which no index on time would make shorter than the
    grouping of every touchpoint it spares."""
    return list(session.execute(select(column).where(
        Touchpoint.member_id == member, Touchpoint.at >= since, Touchpoint.at < until,
        *where).distinct()).scalars())


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def last_messages(session: Session, as_of: datetime, *, since: datetime,
                  until: datetime, member: int) -> list[LastMessage]:
    """Every counterpart of each thread's latest email up to ``as_of``, for threads whose latest
    email fell in [``since``, ``until``]: looked at only in the threads with an email then."""
    email = (Touchpoint.thread_key.is_not(None), Touchpoint.channel == Channel.EMAIL)
    keys = _in_window(session, Touchpoint.thread_key, since, min(until, as_of)
                      + timedelta(microseconds=1), *email, member=member)
    return [row for chunk in _chunks(sorted(keys))
            for row in _last_messages(session, as_of, since, until, member, chunk)]


def _last_messages(session: Session, as_of: datetime, since: datetime, until: datetime,
                   member: int, keys: list[str]) -> list[LastMessage]:
    last = (select(Touchpoint.thread_key, func.max(Touchpoint.at).label("last_at"))
            .where(Touchpoint.member_id == member, Touchpoint.thread_key.in_(keys),
                   Touchpoint.channel == Channel.EMAIL, Touchpoint.at <= as_of)
            .group_by(Touchpoint.thread_key).subquery())
    rows = session.execute(
        select(Touchpoint.thread_key, Touchpoint.at, Touchpoint.direction, Touchpoint.direct,
               Touchpoint.bulk, Touchpoint.listed, Touchpoint.group_size, Contact.address,
               Contact.display_name)
        .join(last, (last.c.thread_key == Touchpoint.thread_key)
              & (last.c.last_at == Touchpoint.at))
        .join(Contact, Contact.id == Touchpoint.contact_id)
        .where(Contact.member_id == member, last.c.last_at >= since,
               last.c.last_at <= until))
    return [LastMessage(key or "", at, d, direct, bulk, listed, size, address, name)
            for key, at, d, direct, bulk, listed, size, address, name in rows]


def thread_counts(session: Session, keys: Iterable[str],
                  as_of: datetime, *, member: int) -> dict[tuple[str, str], int]:
    """(thread key, address) -> touchpoints with that counterpart in that thread up to ``as_of``."""
    keys = list(keys)
    if not keys:
        return {}
    rows = session.execute(  # the member is kept here, not in SQL: the plan stays the index's
        select(Touchpoint.thread_key, Contact.address, Contact.member_id, func.count())
        .join(Contact, Contact.id == Touchpoint.contact_id)
        .where(Touchpoint.thread_key.in_(keys), Touchpoint.at <= as_of)
        .group_by(Touchpoint.thread_key, Contact.address, Contact.member_id))
    return {(k or "", a): int(n) for k, a, m, n in rows if m == member}


def first_contacts(session: Session, before: datetime, *, max_group: int,
                   since: datetime, member: int) -> list[FirstContact]:
    """Per contact and direction, the first human touchpoint in a group of at most
    ``max_group`` before ``before``, and how many there are; only for the contacts with a
    direction whose first such touchpoint is at or after ``since`` (every direction of theirs):
    the few that can be new, looked at only among those with such a touchpoint since then."""
    human = (Touchpoint.at < before, ~Touchpoint.bulk,
             ~Touchpoint.listed, Touchpoint.group_size <= max_group)
    seen = _in_window(session, Touchpoint.contact_id, since, before, *human[1:], member=member)
    return [row for chunk in _chunks(sorted(seen))
            for row in _first_contacts(session, human, since, member, chunk)]


def _first_contacts(session: Session, human: tuple[Any, ...], since: datetime, member: int,
                    contacts: list[int]) -> list[FirstContact]:
    recent = (select(Touchpoint.contact_id).where(*human, Touchpoint.contact_id.in_(contacts))
              .group_by(Touchpoint.contact_id, Touchpoint.direction)
              .having(func.min(Touchpoint.at) >= since))
    query = (select(Contact.address, Contact.display_name, Touchpoint.direction,
                    func.min(Touchpoint.at), func.count(), Contact.member_id)
             .join(Contact, Contact.id == Touchpoint.contact_id)
             .where(*human, Touchpoint.contact_id.in_(recent))
             .group_by(Contact.id, Touchpoint.direction))
    # the member is kept here, not in SQL: there it would turn the plan away from the index
    return [FirstContact(a, n, d, first, int(c))
            for a, n, d, first, c, m in session.execute(query) if m == member]
