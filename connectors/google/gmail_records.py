"""Translating one Gmail API message (``format=metadata``) into a :class:`MessageRecord`.

Pure functions, no I/O. The API's shapes are trusted as little as any mail header: a
missing id means "skip"; anything else odd (non-string values, a junk ``internalDate``,
a header without a name) degrades to an absent field rather than an error.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from connectors.base import MessageRecord

# Exactly the headers MessageRecord needs; nothing else is requested from the API.
METADATA_HEADERS = (
    "From",
    "To",
    "Cc",
    "Bcc",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "List-Id",
    "List-Unsubscribe",
    "Precedence",
    "Auto-Submitted",
)

# Labels whose messages are never touchpoints: drafts, chat transcripts, spam, trash.
SKIP_LABELS = ("DRAFT", "CHAT", "SPAM", "TRASH")

_MSGID = re.compile(r"<[^<>\s]+>")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]+")
# 0001-01-01 .. 9999-12-31 in epoch milliseconds: what datetime can represent.
_MS_MIN, _MS_MAX = -62135596800000, 253402300799999


def skip_reason(message: dict[str, Any]) -> str | None:
    """Why this message is not a record (a lower-case label name), or None."""
    labels = message.get("labelIds") or []
    for label in SKIP_LABELS:
        if label in labels:
            return label.lower()
    return None


def internal_date(value: Any) -> datetime | None:
    """Gmail's ``internalDate`` (epoch ms, as a string) as aware UTC; None when junk."""
    try:
        ms = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if not _MS_MIN <= ms <= _MS_MAX:
        return None
    return datetime.fromtimestamp(ms // 1000, tz=UTC).replace(
        microsecond=(ms % 1000) * 1000
    )


def _clean(value: str) -> str:
    """Unfold a header value and drop control characters a client may have left in."""
    return _CONTROL.sub(" ", _FOLD.sub("", value)).strip()


def headers_of(message: dict[str, Any]) -> dict[str, list[str]]:
    """Header values by lower-case name, in order, each occurrence kept."""
    out: dict[str, list[str]] = defaultdict(list)
    payload = message.get("payload")
    raw = payload.get("headers") if isinstance(payload, dict) else None
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        name, value = item.get("name"), item.get("value")
        if isinstance(name, str) and isinstance(value, str) and name.strip():
            out[name.strip().lower()].append(_clean(value))
    return out


def _first(values: list[str]) -> str | None:
    return next((v for v in values if v), None)


def message_ids(values: list[str]) -> tuple[str, ...]:
    """The ``<msg-id>`` tokens of References/In-Reply-To values, in order, deduplicated."""
    seen: dict[str, None] = {}
    for value in values:
        for token in _MSGID.findall(value):
            seen.setdefault(token, None)
    return tuple(seen)


def to_record(message: dict[str, Any]) -> MessageRecord | None:
    """The record for one API message, or None when it has no usable id."""
    source_id = message.get("id")
    if not isinstance(source_id, str) or not source_id:
        return None
    h = headers_of(message)
    labels = message.get("labelIds")
    thread = message.get("threadId")
    precedence = _first(h["precedence"])
    auto = _first(h["auto-submitted"])
    return MessageRecord(
        source_id=source_id,
        message_id=_first(h["message-id"]),
        thread_id=thread if isinstance(thread, str) and thread else None,
        # In-Reply-To joins References: both name the parents of this message.
        references=message_ids(h["references"] + h["in-reply-to"]),
        when=internal_date(message.get("internalDate")),
        date_header=_first(h["date"]),
        from_=tuple(v for v in h["from"] if v),
        to=tuple(v for v in h["to"] if v),
        cc=tuple(v for v in h["cc"] if v),
        bcc=tuple(v for v in h["bcc"] if v),
        labels=tuple(x for x in labels if isinstance(x, str)) if isinstance(labels, list) else (),
        list_id=_first(h["list-id"]),
        list_unsubscribe=any(h["list-unsubscribe"]),
        precedence=precedence.lower() if precedence else None,
        auto_submitted=auto.lower() if auto else None,
    )


GONE_LABELS = frozenset({"SPAM", "TRASH"})  # a message given one of these left the mailbox


def history_actions(history: list[dict[str, Any]], start: int) -> tuple[dict[str, str], int]:
    """The net action per message id (``fetch`` or ``gone``) over ``history.list`` records,
    oldest first, and the highest record id seen (at least ``start``)."""
    actions: dict[str, str] = {}
    last = start
    for rec in history:
        try:
            last = max(last, int(str(rec.get("id"))))
        except ValueError:
            pass
        for key, act in (("messagesAdded", "fetch"), ("messagesDeleted", "gone"),
                         ("labelsAdded", "gone"), ("labelsRemoved", "fetch")):
            for item in rec.get(key) or []:
                msg = item.get("message") or {}
                if key.startswith("labels") and not GONE_LABELS & set(item.get("labelIds", [])):
                    continue
                if isinstance(msg.get("id"), str):
                    actions.pop(msg["id"], None)  # re-insert: order follows the last event
                    actions[msg["id"]] = act
    return actions, last
