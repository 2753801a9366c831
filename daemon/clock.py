"""Time as Keepwarm reads it, one definition each: the current instant (``now_utc``), the report's
time zone from its IANA name (``zone``) and an ``HH:MM`` wall time (``wall_time``).

Shared by the config (which validates ``[report] timezone`` and ``time`` with these), the sync
engine, the summary and the scheduler. The ISO week label belongs to the summary
(:func:`daemon.summary.content.week_label`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"


def now_utc() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``; ValueError when the tz database does not know it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as "
                         "Europe/Berlin") from None


def wall_time(text: str) -> time:
    """``"08:00"`` as a wall-clock time; ValueError when ``text`` is not ``HH:MM``."""
    if not re.fullmatch(HH_MM, text):
        raise ValueError(f"not a time like 08:00: {text!r}")
    hour, minute = text.split(":")
    return time(int(hour), int(minute))
