"""Fetch header blocks of UIDs and turn them into :class:`MessageRecord` objects.

Only ``BODY.PEEK[HEADER.FIELDS (...)]``, ``INTERNALDATE`` and ``FLAGS`` are asked for: never a
body, and ``PEEK`` leaves ``\\Seen`` as it was. The header block is parsed by the same code as
the local archives (:mod:`connectors.local.headers`).

Which time a record carries (``when``): the ``Date:`` header, which the sender wrote when the
message was sent and which survives a migration between servers, unless it is absent,
unreadable, before 1990, or more than a day after ``INTERNALDATE`` (a message cannot be
written after it arrived; a clock in the future or a forged header); then ``INTERNALDATE``,
the server's arrival time. A Date *earlier* than INTERNALDATE is kept however far: mail copied
into a server by APPEND has the copy's date as INTERNALDATE.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from connectors.base import MessageRecord
from connectors.local.headers import parse_block

FIELDS = (b"MESSAGE-ID IN-REPLY-TO REFERENCES DATE FROM TO CC BCC LIST-ID LIST-UNSUBSCRIBE "
          b"PRECEDENCE AUTO-SUBMITTED")
WANT = [b"BODY.PEEK[HEADER.FIELDS (" + FIELDS + b")]", b"INTERNALDATE", b"FLAGS"]
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
SKEW = timedelta(days=1)  # clocks and delivery delays: a Date this far past arrival is kept


def source_id(folder: str, uidvalidity: int, uid: int) -> str:
    """The id of one message: folder, UIDVALIDITY and UID (a new UIDVALIDITY: new ids)."""
    return f"{folder}/{uidvalidity}/{uid}"


def parse_date(value: str | None) -> datetime | None:
    """An aware datetime from a ``Date:`` value; None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def message_time(date_header: str | None, internal: datetime | None) -> datetime | None:
    """The time a record carries: see the module docstring for which wins when."""
    sent = parse_date(date_header)
    if internal is None:
        return sent
    if internal.tzinfo is None:
        internal = internal.replace(tzinfo=UTC)
    if sent is None or sent < EARLIEST or sent > internal + SKEW:
        return internal
    return sent


def is_draft(data: dict[bytes, Any]) -> bool:
    """Whether a FETCH answer's FLAGS hold ``\\Draft``."""
    return b"\\draft" in {f.lower() for f in data.get(b"FLAGS", ())}


def _header_block(data: dict[bytes, Any]) -> bytes:
    """The header block of a FETCH answer, whatever spelling of the key the server echoed."""
    for key, value in data.items():
        if key.startswith(b"BODY[") and isinstance(value, bytes):
            return value
    return b""


def to_records(folder: str, uidvalidity: int, labels: tuple[str, ...],
               answer: dict[int, dict[bytes, Any]], uids: Iterable[int]
               ) -> tuple[list[MessageRecord], int]:
    """Records of the FETCH ``answer`` for ``uids``, and how many had no header at all."""
    records, empty = [], 0
    for uid in uids:
        data = answer.get(uid)
        if data is None:  # expunged between SEARCH and FETCH: the next pass reports it gone
            continue
        extra = ("draft",) if is_draft(data) else ()
        rec = parse_block(_header_block(data).replace(b"\r\n", b"\n"),
                          source_id(folder, uidvalidity, uid), labels + extra)
        if rec is None:
            empty += 1
            continue
        internal = data.get(b"INTERNALDATE")
        records.append(_with_time(rec, internal if isinstance(internal, datetime) else None))
    return records, empty


def _with_time(rec: MessageRecord, internal: datetime | None) -> MessageRecord:
    from dataclasses import replace

    return replace(rec, when=message_time(rec.date_header, internal))
