"""The ledger of commands mailed to yourself: written by the sync when it carries one out
(:mod:`daemon.sync.carry`), read by the next summary to confirm what was done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.store import Store
from daemon.store.models import MailedCommand


@dataclass(frozen=True, slots=True)
class Done:
    """One command carried out: what, for whom, and when it was sent and done."""

    command: str
    contact: str
    target: str
    until: datetime | None
    sent_at: datetime
    done_at: datetime


def carrier(session: Session, member: int, token: str) -> str | None:
    """The identity of the message that carried ``token`` already for member ``member`` (its
    id); None: never carried out."""
    return session.execute(select(MailedCommand.identity).where(
        MailedCommand.member_id == member, MailedCommand.token == token)).scalar()


def record(session: Session, member: int, token: str, identity: str, done: Done) -> None:
    """Write one carried-out command of member ``member``, inside the caller's transaction."""
    session.add(MailedCommand(member_id=member, token=token, identity=identity,
                              command=done.command,
                              contact=done.contact, target=done.target, until=done.until,
                              sent_at=done.sent_at, done_at=done.done_at))
    session.flush()


def done_between(store: Store, start: datetime, end: datetime) -> list[Done]:
    """The store's member's commands carried out in ``(start, end]``, oldest first."""
    member = store.member_id
    with store.session() as s:
        rows = s.execute(select(MailedCommand).where(
            MailedCommand.member_id == member, MailedCommand.done_at > start,
            MailedCommand.done_at <= end).order_by(
            MailedCommand.done_at, MailedCommand.id)).scalars()
        return [Done(r.command, r.contact, r.target, r.until, r.sent_at, r.done_at) for r in rows]
