"""Account and stream health: the one reader of the sync state the engine stores.

``keepwarm status``, ``keepwarm doctor`` and the summary's sync-health section all read it
here, and each renders it its own way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.store.models import Account, Stream
from daemon.store.vocab import AccountStatus


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


def sync_state(session: Session) -> list[AccountState]:
    """Every account the store knows, by name, each with its streams."""
    streams: dict[int, list[StreamState]] = {}
    for st in session.execute(select(Stream).order_by(Stream.key)).scalars():
        streams.setdefault(st.account_id, []).append(StreamState(
            st.key, bool(st.cursor), st.records_seen, st.touchpoints_written,
            json.loads(st.skipped or "{}"), st.last_success_at, st.last_error))
    return [AccountState(a.name, a.kind, a.status, a.last_error, a.last_error_fix,
                         a.last_success_at, a.last_attempt_at, tuple(streams.get(a.id, ())))
            for a in session.execute(select(Account).order_by(Account.name)).scalars()]
