"""Time as Keepwarm reads it, one definition each: the current instant (``now_utc``), the report's
time zone from its IANA name (``zone``), an ``HH:MM`` wall time (``wall_time``), and a duration
such as ``4w`` or ``15min`` (``parse_duration``; here, not in ``daemon.config``, so that
``keepwarm snooze`` reads one without loading pydantic).

Shared by the config (which validates ``[report] timezone`` and ``time`` with these), the sync
engine, the summary and the scheduler. The ISO week label belongs to the summary
(:func:`daemon.summary.content.week_label`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

HH_MM = r"^([01]\d|2[0-3]):[0-5]\d$"

# One meaning per unit letter, for every duration in the config and on the command line:
# s seconds, min minutes, h hours, d days, w weeks, m months of 30 days, y years of 365 days.
UNITS = {"s": timedelta(seconds=1), "min": timedelta(minutes=1), "h": timedelta(hours=1),
         "d": timedelta(days=1), "w": timedelta(weeks=1), "m": timedelta(days=30),
         "y": timedelta(days=365)}
DURATION = r"^\d+\s*[dwmy]$"  # calendar spans: retention, snooze, backtest
INTERVAL = r"^\d+\s*(s|min|h|d)$"  # clock spans: [daemon] sync_interval


def parse_duration(spec: str, pattern: str = DURATION) -> timedelta:
    """A calendar span such as ``"90d"``, ``"12w"``, ``"18m"`` (months) or ``"3y"`` as a
    timedelta; with ``pattern=INTERVAL`` a clock span such as ``"15min"``, ``"2h"`` or ``"90s"``.
    ValueError when ``spec`` does not fit ``pattern``."""
    m = re.fullmatch(r"\s*(\d+)\s*(s|min|h|d|w|m|y)\s*", spec)
    if not m or not re.fullmatch(pattern, spec.strip()):
        raise ValueError(f"not a duration: {spec!r}")
    return int(m.group(1)) * UNITS[m.group(2)]


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
