"""Expand one iCalendar file into :class:`EventRecord` occurrences over a bounded window.

``recurring-ical-events`` does the expansion (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides,
X-WR-TIMEZONE); the window keeps an endless RRULE finite. A series that breaks the expansion
costs only itself. Two caps bound the work whatever the rule says: a series with more than
``MAX_OCCURRENCES`` occurrences in the window (``FREQ=DAILY;BYHOUR=0,...,23;BYMINUTE=0,...,59``
is 1,440 a day) and an event carrying more than ``MAX_DATES`` EXDATE/RDATE values are skipped
and counted, before they cost memory.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any

import icalendar
import recurring_ical_events

from connectors.base import Attendee, EventRecord

MAX_OCCURRENCES = 20_000  # per series in the window: a daily meeting for 25 years is 9,200
MAX_DATES = 10_000  # EXDATE and RDATE values of one event; a million take 45 s and a GB to parse
_STATUSES = {"confirmed", "tentative", "cancelled"}
_RESOURCE_TYPES = {"ROOM", "RESOURCE"}


def utc(value: date | datetime) -> datetime:
    """Aware UTC datetime of a DATE (midnight UTC), floating (taken as UTC) or zoned value."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def occurrence_key(when: datetime) -> str:
    """The occurrence part of a source id: ISO 8601 in UTC, whole seconds (fixed width)."""
    return when.replace(microsecond=0).isoformat()


def _person(prop: Any, default_response: str) -> Attendee | None:
    """An Attendee from an ORGANIZER/ATTENDEE property, None when it names no one."""
    address = str(prop).strip()
    if address.lower().startswith("mailto:"):
        address = address[7:].strip()
    if not address:
        return None
    params = getattr(prop, "params", {})
    cutype = str(params.get("CUTYPE", "")).upper()
    return Attendee(
        address=address,
        name=str(params.get("CN", "")).strip(),
        response=str(params.get("PARTSTAT", default_response)).lower(),
        is_resource=cutype in _RESOURCE_TYPES,
    )


def to_record(event: Any, rel: str) -> EventRecord:
    """The record of one expanded occurrence (raises on a malformed event)."""
    start_prop = event.get("DTSTART")
    if start_prop is None:
        raise ValueError("event without DTSTART")
    start_raw = start_prop.dt
    all_day = not isinstance(start_raw, datetime)
    rid = event.get("RECURRENCE-ID")
    occurrence = utc(rid.dt if rid is not None else start_raw)
    start = utc(start_raw)
    end_prop = event.get("DTEND")
    if end_prop is not None:
        end = utc(end_prop.dt)
    elif event.get("DURATION") is not None:
        end = start + event.get("DURATION").dt
    else:
        end = start + timedelta(days=1) if all_day else start
    uid = str(event.get("UID", "")).strip() or None
    status = str(event.get("STATUS", "confirmed")).strip().lower()
    organizer = event.get("ORGANIZER")
    attendees = event.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    people = (_person(a, "needs-action") for a in attendees)
    return EventRecord(
        source_id=f"{rel}:{uid or ''}:{occurrence_key(occurrence)}",
        uid=uid,
        occurrence=occurrence,
        start=start,
        end=end,
        all_day=all_day,
        status=status if status in _STATUSES else "confirmed",
        organizer=_person(organizer, "none") if organizer is not None else None,
        attendees=tuple(p for p in people if p is not None),
    )


def _expand(cal: Any, lo: datetime, hi: datetime, skipped: Counter[str]) -> list[Any]:
    """The occurrences of ``cal`` in ``[lo, hi)``, series by series: one that breaks or has
    more than ``MAX_OCCURRENCES`` is skipped and counted (raises only if the calendar does)."""
    query = recurring_ical_events.of(cal)
    found: list[Any] = []
    for series in query.series:
        try:
            got = list(islice(series.between(lo, hi), MAX_OCCURRENCES + 1))
            if len(got) > MAX_OCCURRENCES:  # stopped there: never expanded further
                skipped["too_many_occurrences"] += 1
                continue
            found.extend(o.as_component(query.keep_recurrence_attributes) for o in got)
        except Exception:
            skipped["bad_event"] += 1
    return found


_EVENT_EDGE = re.compile(rb"^(BEGIN|END):VEVENT[ \t]*\r?$", re.MULTILINE | re.IGNORECASE)
_DATE_LINE = re.compile(rb"^(?:EX|R)DATE[;:][^\r\n]*", re.MULTILINE | re.IGNORECASE)
_FOLD = re.compile(rb"\r?\n[ \t]")


def _drop_date_floods(data: bytes, skipped: Counter[str]) -> bytes:
    """``data`` without the events that carry more than ``MAX_DATES`` EXDATE/RDATE values
    (counted), found in the raw text before the iCalendar parser spends time on them."""
    if data.count(b"DATE") + data.count(b",") <= MAX_DATES:  # no event can carry that many
        return data
    text = _FOLD.sub(b"", data)
    parts, last, begin = [], 0, -1
    for edge in _EVENT_EDGE.finditer(text):
        if edge.group(1).upper() == b"BEGIN":
            begin = edge.start()
        elif begin >= 0:
            block = text[begin : edge.end()]
            if sum(1 + line.count(b",") for line in _DATE_LINE.findall(block)) > MAX_DATES:
                parts.append(text[last:begin])
                last = edge.end()
                skipped["too_many_dates"] += 1
            begin = -1
    return b"".join([*parts, text[last:]]) if parts else data


SUB_DAILY = {"SECONDLY", "MINUTELY", "HOURLY"}


def _tame_sub_daily(cal: Any, skipped: Counter[str]) -> None:
    """Keep only the first instance of a series repeating more than daily: no meeting with
    people recurs every hour, and expanding one every minute for years would exhaust memory."""
    for event in cal.walk("VEVENT"):
        rule = event.get("RRULE")
        rules = rule if isinstance(rule, list) else [rule] if rule is not None else []
        freqs = {str(f).upper() for r in rules for f in (r.get("FREQ") or [])}
        if freqs & SUB_DAILY:
            del event["RRULE"]
            skipped["sub_daily_recurrence"] += 1


def _by_uid(cal: Any) -> list[Any]:
    """One small calendar per UID (with the time zones), to expand series one by one."""
    zones = [c for c in cal.subcomponents if c.name == "VTIMEZONE"]
    groups: dict[str, Any] = {}
    for comp in cal.subcomponents:
        if comp.name != "VEVENT":
            continue
        uid = str(comp.get("UID", id(comp)))
        if uid not in groups:
            groups[uid] = icalendar.Calendar()
            for zone in zones:
                groups[uid].add_component(zone)
        groups[uid].add_component(comp)
    return list(groups.values())


def _earliest(cal: Any, floor: datetime, hi: datetime) -> datetime:
    """The earliest VEVENT start of ``cal``, no earlier than ``floor``."""
    starts = []
    for event in cal.walk("VEVENT"):
        try:
            starts.append(utc(event.get("DTSTART").dt))
        except Exception:  # counted when the event itself is converted
            continue
    return max(floor, min(starts, default=hi))


def occurrences(
    data: bytes, rel: str, lo: datetime | None, hi: datetime, floor: datetime, skipped: Counter[str]
) -> list[EventRecord] | None:
    """Records of every occurrence whose original start is in ``[lo, hi)``, sorted.

    ``lo`` None means from the earliest event start, but not before ``floor``. None when the
    data is not iCalendar at all (counted as ``bad_calendar``).
    """
    data = _drop_date_floods(data, skipped)
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception:  # icalendar raises ValueError and friends on junk
        skipped["bad_calendar"] += 1
        return None
    events: list[Any] = []
    for cal in calendars:
        # properties icalendar could not parse are dropped from the event; count them
        bad = sum(len(e.errors) for e in cal.walk("VEVENT"))
        if bad:
            skipped["bad_property"] += bad
        _tame_sub_daily(cal, skipped)
        start = lo if lo is not None else _earliest(cal, floor, hi)
        if start >= hi:
            continue
        try:
            events.extend(_expand(cal, start, hi, skipped))
        except Exception:  # the series could not even be built: one calendar per UID
            for one in _by_uid(cal):
                try:
                    events.extend(_expand(one, start, hi, skipped))
                except Exception:
                    skipped["bad_event"] += 1
    records: dict[str, EventRecord] = {}
    for event in events:
        try:
            record = to_record(event, rel)
        except Exception:
            skipped["bad_event"] += 1
            continue
        if record.occurrence is not None and (lo or floor) <= record.occurrence < hi:
            records[record.source_id] = record
    return sorted(records.values(), key=lambda r: r.source_id[len(rel) :])
