"""The newest email item a mailbox account holds, per contact or per thread: what a link to
"the last conversation" needs (the account and the provider's id for the message, which the
store already keeps as the item's source id). No judgement: which accounts can be linked to,
and how, is decided in :mod:`daemon.summary.links`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, select
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


def _held(as_of: datetime, kinds: Collection[str]) -> ColumnElement[bool]:
    return and_(Touchpoint.channel == Channel.EMAIL, Touchpoint.at <= as_of,
                Account.kind.in_(list(kinds)))


def _joined(query: Select) -> Select:  # type: ignore[type-arg]
    return (query.join(ItemSource, ItemSource.item_id == Touchpoint.item_id)
            .join(Account, Account.id == ItemSource.account_id))


def latest_by_contact(session: Session, addresses: Collection[str], as_of: datetime,
                      kinds: Collection[str]) -> dict[str, HeldItem]:
    """address -> the newest email with that contact up to ``as_of`` held by an account of one
    of ``kinds``; contacts with none are left out."""
    if not addresses or not kinds:
        return {}
    newest = (_joined(select(Touchpoint.contact_id, func.max(Touchpoint.at).label("at")))
              .join(Contact, Contact.id == Touchpoint.contact_id)
              .where(_held(as_of, kinds), Contact.address.in_(list(addresses)))
              .group_by(Touchpoint.contact_id).subquery())
    rows = session.execute(
        _joined(select(Contact.address, Account.name, Account.kind, ItemSource.source_id,
                       Touchpoint.at))
        .join(Contact, Contact.id == Touchpoint.contact_id)
        .join(newest, (newest.c.contact_id == Touchpoint.contact_id)
              & (newest.c.at == Touchpoint.at))
        .where(_held(as_of, kinds))
        .order_by(Account.name, ItemSource.source_id))  # ties: the same choice every time
    out: dict[str, HeldItem] = {}
    for address, account, kind, source_id, at in rows:
        out.setdefault(address, HeldItem(account, kind, source_id, at))
    return out


def latest_by_thread(session: Session, thread_keys: Collection[str], as_of: datetime,
                     kinds: Collection[str]) -> dict[str, HeldItem]:
    """thread key -> the thread's newest email up to ``as_of`` held by an account of one of
    ``kinds``; threads with none are left out."""
    if not thread_keys or not kinds:
        return {}
    newest = (_joined(select(Touchpoint.thread_key, func.max(Touchpoint.at).label("at")))
              .where(_held(as_of, kinds), Touchpoint.thread_key.in_(list(thread_keys)))
              .group_by(Touchpoint.thread_key).subquery())
    rows = session.execute(
        _joined(select(Touchpoint.thread_key, Account.name, Account.kind, ItemSource.source_id,
                       Touchpoint.at))
        .join(newest, (newest.c.thread_key == Touchpoint.thread_key)
              & (newest.c.at == Touchpoint.at))
        .where(_held(as_of, kinds))
        .order_by(Account.name, ItemSource.source_id))
    out: dict[str, HeldItem] = {}
    for key, account, kind, source_id, at in rows:
        out.setdefault(key or "", HeldItem(account, kind, source_id, at))
    return out
