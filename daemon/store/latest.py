"""The newest email item a mailbox account holds, per contact or per thread: what a link to
"the last conversation" needs (the account and the provider's id for the message, which the
store already keeps as the item's source id). No judgement: which accounts can be linked to,
and how, is decided in :mod:`daemon.summary.links`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from daemon.store.models import Account, Contact, ItemSource, Touchpoint
from daemon.store.vocab import Channel


@dataclass(frozen=True, slots=True)
class HeldItem:
    """One email item as one account holds it."""

    account: str  # the account's name
    kind: str  # the account's kind (google, microsoft ...)
    source_id: str  # the provider's id of the message
    at: datetime


def latest_by_contact(session: Session, addresses: Collection[str], as_of: datetime,
                      kinds: Collection[str], member: int) -> dict[str, HeldItem]:
    """address -> the newest email with that contact of ``member`` (an id) up to ``as_of``
    held by an account of one of ``kinds``; contacts with none are left out."""
    if not addresses:
        return {}
    ids: dict[int, str] = {i: a for i, a in session.execute(
        select(Contact.id, Contact.address).where(Contact.member_id == member,
                                                  Contact.address.in_(list(addresses))))}
    found = _newest(session, Touchpoint.contact_id, Touchpoint.contact_id.in_(list(ids)),
                    as_of, kinds, member)
    return {ids[k]: v for k, v in found.items()}


def latest_by_thread(session: Session, thread_keys: Collection[str], as_of: datetime,
                     kinds: Collection[str], member: int) -> dict[str, HeldItem]:
    """thread key -> the thread's newest email of ``member`` (an id) up to ``as_of`` held by an
    account of one of ``kinds``; threads with none are left out."""
    if not thread_keys:
        return {}
    return _newest(session, Touchpoint.thread_key, Touchpoint.thread_key.in_(list(thread_keys)),
                   as_of, kinds, member)


def _newest(session: Session, group: Any, where: ColumnElement[bool], as_of: datetime,
            kinds: Collection[str], member: int) -> dict[Any, HeldItem]:
    """Per value of ``group`` among the touchpoints ``where`` selects, the newest email held by
    one of the accounts of ``kinds``. The accounts are resolved first and the touchpoints
    walked per group (by their indexes) with a window, which stays fast on a big store: an
    aggregate joined to the accounts let SQLite scan every claim."""
    accounts = {i: (name, kind) for i, name, kind in session.execute(
        select(Account.id, Account.name, Account.kind).where(
            Account.member_id == member, Account.kind.in_(list(kinds))))}
    if not accounts:
        return {}
    held = exists().where(ItemSource.item_id == Touchpoint.item_id,
                          ItemSource.account_id.in_(list(accounts)))
    rank = func.row_number().over(partition_by=group,
                                  order_by=(Touchpoint.at.desc(), Touchpoint.item_id))
    ranked = (select(group.label("g"), Touchpoint.item_id, Touchpoint.at, rank.label("n"))
              .where(where, Touchpoint.channel == Channel.EMAIL, Touchpoint.at <= as_of, held)
              .subquery())
    rows = session.execute(
        select(ranked.c.g, ItemSource.account_id, ItemSource.source_id, ranked.c.at)
        .join(ItemSource, ItemSource.item_id == ranked.c.item_id)
        .where(ranked.c.n == 1, ItemSource.account_id.in_(list(accounts)))
        .order_by(ItemSource.account_id, ItemSource.source_id))  # the same choice every time
    out: dict[Any, HeldItem] = {}
    for g, account, source_id, at in rows:
        out.setdefault(g, HeldItem(*accounts[account], source_id, at))
    return out
