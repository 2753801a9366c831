"""Account and stream health: the one reader of the sync state the engine stores.

``keepwarm status``, ``keepwarm doctor`` and the summary's sync-health section all read it
here, and each renders it its own way, through either store handle (``daemon.store.sql``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from daemon.store.sql import Db, instant, rows
from daemon.store.vocab import AccountStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

STREAMS = ("SELECT account_id, key, cursor, records_seen, touchpoints_written, skipped, "
           "last_success_at, last_error FROM streams ORDER BY key")
ACCOUNTS = ("SELECT id, name, kind, status, last_error, last_error_fix, last_success_at, "
            "last_attempt_at FROM accounts ORDER BY name")
MEMBERS_ACCOUNTS = ACCOUNTS.replace(" ORDER BY", " WHERE member_id = :member ORDER BY")


@dataclass(frozen=True, slots=True)
class StreamState:
    """One stream of an account: where it stands and what it skipped."""

    key: str
    resumable: bool  # a cursor is stored: the next sync resumes from it
    records: int
    touchpoints: int
    skipped: dict[str, int]  # reason -> count, by reason
    last_success_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class AccountState:
    """One account as its last sync left it (as stored: never ``stale`` or ``never``)."""

    name: str
    kind: str
    status: AccountStatus
    last_error: str | None
    fix: str | None  # what to do about last_error
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    streams: tuple[StreamState, ...]  # by key


def sync_state(db: Db | Session, member: int | None = None) -> list[AccountState]:
    """Every account the store knows, by name, each with its streams: the deployment's view
    (``keepwarm status``, ``doctor``); given ``member`` (an id), that member's accounts only
    (their summary's sync health)."""
    streams: dict[int, list[StreamState]] = {}
    for account_id, key, cursor, seen, written, skipped, success, error in rows(db, STREAMS):
        streams.setdefault(account_id, []).append(StreamState(
            key, bool(cursor), seen, written, json.loads(skipped or "{}"), instant(success),
            error))
    return [AccountState(name, kind, AccountStatus(status), error, fix, instant(success),
                         instant(attempt), tuple(streams.get(id_, ())))
            for id_, name, kind, status, error, fix, success, attempt in (
                rows(db, ACCOUNTS) if member is None
                else rows(db, MEMBERS_ACCOUNTS, {"member": member}))]
