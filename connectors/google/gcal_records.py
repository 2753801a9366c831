"""Translating one Google Calendar event (an instance, with ``singleEvents=true``) into an
:class:`EventRecord`. Pure functions; odd values degrade to absent fields, never errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from connectors.base import Attendee, EventRecord

RESPONSES = {
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "tentative",
    "needsAction": "needs-action",
}


def when(value: Any) -> tuple[datetime | None, bool]:
    """An ``EventDateTime`` as (aware datetime, all-day). All-day dates become midnight UTC
    (the calendar's zone is not needed to count a day's meeting)."""
    if not isinstance(value, dict):
        return None, False
    try:
        if isinstance(value.get("dateTime"), str):
            dt = datetime.fromisoformat(value["dateTime"])
            return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)), False
        if isinstance(value.get("date"), str):
            day = date.fromisoformat(value["date"])
            return datetime(day.year, day.month, day.day, tzinfo=UTC), True
    except ValueError:
        pass
    return None, False


def _address(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    return text[7:] if text.lower().startswith("mailto:") else text


def person(item: Any) -> Attendee | None:
    """An attendee or organizer; None without an address."""
    if not isinstance(item, dict):
        return None
    address = _address(item.get("email"))
    if "@" not in address:
        return None
    name = item.get("displayName")
    return Attendee(
        address=address,
        name=name if isinstance(name, str) else "",
        response=RESPONSES.get(str(item.get("responseStatus")), "none"),
        is_self=item.get("self") is True,
        is_resource=item.get("resource") is True,
    )


def to_record(event: dict[str, Any]) -> EventRecord | None:
    """The record of one event instance, or None without an id."""
    source_id = event.get("id")
    if not isinstance(source_id, str) or not source_id:
        return None
    start, all_day = when(event.get("start"))
    end, _ = when(event.get("end"))
    original, _ = when(event.get("originalStartTime"))
    raw = event.get("attendees")
    attendees = tuple(a for a in map(person, raw if isinstance(raw, list) else []) if a)
    organizer = person(event.get("organizer"))
    if organizer is not None:
        # The organizer's own answer lives in the attendee list when they are on it.
        same = next((a for a in attendees if a.address.lower() == organizer.address.lower()), None)
        if same is not None:
            organizer = same
    uid = event.get("iCalUID")
    status = event.get("status")
    return EventRecord(
        source_id=source_id,
        uid=uid if isinstance(uid, str) and uid else None,
        occurrence=original or start,
        start=start,
        end=end,
        all_day=all_day,
        status=status if status in ("confirmed", "tentative", "cancelled") else "confirmed",
        organizer=organizer,
        attendees=attendees,
    )
