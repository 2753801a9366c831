"""What the store holds that no mailbox does, saved and restored: snoozes, the sent-summary
ledger and the ignores added by mail. Everything else is a cache of the mailboxes that
``keepwarm sync`` rebuilds, so these are all a damaged store needs to hand over to a fresh one.

Saving reads each table row by row and keeps what it read before a damaged page stopped it
(:func:`save` says which table stopped). Restoring adds the rows a store lacks and keeps the
ones it has, so restoring twice changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from daemon.errors import brief
from daemon.store import Store
from daemon.store.models import Ignore, Member, SentSummary, Snooze

FORMAT = "keepwarm-export-1"
SNOOZE = (Snooze.address, Snooze.until)
IGNORE = (Ignore.kind, Ignore.value, Ignore.added_at)
LEDGER = (SentSummary.iso_week, SentSummary.sent_at, SentSummary.method, SentSummary.message_id)


@dataclass
class Saved:
    """The rows read, and for each table that could not be read to the end, why."""

    data: dict[str, Any]
    unreadable: dict[str, str] = field(default_factory=dict)
    error: Exception | None = None  # the first error met


def save(store: Store) -> Saved:
    """The store's member's snoozes, ledger rows and ignores as a JSON-ready dict, as far as
    they can be read (a store older than members is one user's: all its rows)."""
    member = _member(store)
    saved = Saved({"format": FORMAT, "snoozes": [], "sent_summaries": [], "ignores": []})
    for key, columns, table in (("snoozes", SNOOZE, Snooze), ("sent_summaries", LEDGER,
                                SentSummary), ("ignores", IGNORE, Ignore)):
        rows = saved.data[key]
        try:
            with store.engine.connect() as conn:
                query = select(*columns).order_by(table.id)
                if member is not None:
                    query = query.where(table.member_id == member)
                for row in conn.execute(query):
                    rows.append({c.key: _out(v) for c, v in zip(columns, row, strict=True)})
        except (SQLAlchemyError, sqlite3.Error, ValueError) as exc:  # a damaged page or value
            saved.unreadable[key] = brief(exc)
            saved.error = saved.error or exc
    return saved


def _member(store: Store) -> int | None:
    """The id of the store's member, read without writing (a damaged store is only read);
    None when the store predates members (or that table cannot be read), -1 when the member
    has no row yet, so no rows of theirs."""
    try:
        with store.engine.connect() as conn:
            found = conn.execute(select(Member.id).where(Member.name == store.member)).scalar()
    except (SQLAlchemyError, sqlite3.Error):
        return None
    return -1 if found is None else int(found)


def restore(store: Store, data: Any) -> tuple[int, int, int, int]:
    """Add the snoozes, ledger rows and ignores of ``data`` that the store's member lacks, as
    theirs: (snoozes added, weeks added, ignores added, rows already there). ValueError when
    ``data`` is not what :func:`save` made."""
    snoozes, weeks = _parse(data)
    mailed = _ignores(data)
    added_snoozes = added_weeks = added_ignores = 0
    member = store.member_id
    with store.transaction() as s:
        have_ignores = {(k, v) for k, v in s.execute(select(Ignore.kind, Ignore.value).where(
            Ignore.member_id == member))}
        for ignore in mailed:
            if (ignore.kind, ignore.value) not in have_ignores:
                ignore.member_id = member
                s.add(ignore)
                added_ignores += 1
        have = set(s.execute(select(Snooze.address).where(
            Snooze.member_id == member)).scalars())
        for row in snoozes:
            if row.address not in have:
                row.member_id = member
                s.add(row)
                added_snoozes += 1
        sent = set(s.execute(select(SentSummary.iso_week).where(
            SentSummary.member_id == member)).scalars())
        for week in weeks:
            if week.iso_week not in sent:
                week.member_id = member
                s.add(week)
                added_weeks += 1
    added = added_snoozes + added_weeks + added_ignores
    return (added_snoozes, added_weeks, added_ignores,
            len(snoozes) + len(weeks) + len(mailed) - added)


def _ignores(data: dict[str, Any]) -> list[Ignore]:
    """The ignores added by mail (an export older than them has none)."""
    try:
        found = [Ignore(kind=str(r["kind"]), value=str(r["value"]), added_at=_in(r["added_at"]))
                 for r in data.get("ignores", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"an ignore cannot be read: {brief(exc)}") from None
    if any(i.added_at is None for i in found):
        raise ValueError("an ignore has no added_at")
    return found


def _parse(data: Any) -> tuple[list[Snooze], list[SentSummary]]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a Keepwarm export (no \"format\": \"{FORMAT}\")")
    try:
        snoozes = [Snooze(address=str(r["address"]), until=_in(r["until"]))
                   for r in data["snoozes"]]
        weeks = [SentSummary(iso_week=str(r["iso_week"]), sent_at=_in(r["sent_at"]),
                             method=str(r["method"]), message_id=r.get("message_id"))
                 for r in data["sent_summaries"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"a row cannot be read: {brief(exc)}") from None
    if any(w.sent_at is None for w in weeks):
        raise ValueError("a sent summary has no sent_at")
    return snoozes, weeks


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _out(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _in(value: Any) -> datetime | None:
    """An aware datetime from an export's ISO text (None stays None: a snooze without end)."""
    if value is None:
        return None
    when = datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ValueError(f"time without zone: {value!r}")
    return when
