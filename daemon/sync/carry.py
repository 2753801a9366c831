"""Carry out the commands the user mailed to themselves (found by :mod:`daemon.sync.meaning`),
each exactly once, inside the transaction of the page that carried them.

A command is carried out when its token is one the installation minted (for a stored contact,
in a week no older than :data:`~daemon.sync.commands.VALID_WEEKS`) and no message carried it
before. What is not carried out is counted per reason, as the engine counts skips:
``forged_command`` (no contact has that token), ``expired_command`` (it named an older week),
``replayed_command`` (another message carried the same token before). A re-read of the message
that carried it (a resync, a second account holding the same message) does nothing silently.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.config import parse_duration
from daemon.store import ignores, mailed, snoozes
from daemon.store.models import Contact
from daemon.sync.commands import VALID_WEEKS, find, index
from daemon.sync.meaning import Mailed

log = logging.getLogger(__name__)
SNOOZES = {"snooze4w": "4w", "snooze3m": "3m"}


def carry_out(session: Session, member: int, key: Callable[[], bytes], found: list[Mailed],
              now: datetime) -> Counter[str]:
    """Verify and carry out ``found`` for member ``member`` (its id: the contacts, snoozes,
    ignores and ledger rows are theirs; ``key`` gives the member's key, read only when
    needed); the skips per reason. One log line when anything was found, with counts only."""
    skipped: Counter[str] = Counter()
    done = 0
    contacts: dict[str, list[str]] | None = None  # by reference, built once when needed
    for m in found:
        before = mailed.carrier(session, member, m.tag.token)
        if before is not None:
            if before != m.identity:
                skipped["replayed_command"] += 1
            continue
        if contacts is None:
            contacts = index(key(), session.execute(select(Contact.address).where(
                Contact.member_id == member)).scalars())
        hit = find(key(), m.tag, contacts, m.at.date())
        if hit is None:
            skipped["forged_command"] += 1
        elif hit[1] > VALID_WEEKS:
            skipped["expired_command"] += 1
        else:
            mailed.record(session, member, m.tag.token, m.identity,
                          _apply(session, member, m.tag.command, hit[0], m.at, now))
            done += 1
    if found:
        log.info("mailed commands carried_out=%d skipped=%d", done, sum(skipped.values()))
    return skipped


def _apply(session: Session, member: int, command: str, contact: str, sent: datetime,
           now: datetime) -> mailed.Done:
    """Do what ``command`` says for ``contact``: a snooze from the day it was sent (a longer
    one in force is kept), or a store-backed ignore of the person or their domain."""
    if command in SNOOZES:
        until = snoozes.extend(session, contact, sent + parse_duration(SNOOZES[command]),
                               member)
        return mailed.Done(command, contact, contact, until, sent, now)
    kind, target = (("domain", contact.rpartition("@")[2]) if command == "ignoredomain"
                    else ("address", contact))
    ignores.add(session, member, kind, target, now)
    return mailed.Done(command, contact, target, None, sent, now)
