"""Read a ``Date:`` header into an aware UTC datetime, or None; never raises on junk.

The canonical RFC 5322 form nearly every mailer writes takes a fast path; anything else goes
through ``email.utils``, with years read as RFC 5322 says rather than as it does.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
# The canonical RFC 5322 form nearly every mailer writes: what email.utils reads it as.
_CANONICAL = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{1,2}) ([A-Z][a-z]{2}) ([1-9][0-9]{3}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{4})(?: \([A-Za-z ]{1,40}\))?")


def _canonical_date(value: str) -> datetime | None:
    """The fast path of :func:`parse_date` for the canonical form; None for anything else
    (then ``email.utils`` reads it). Same arithmetic as ``email.utils``."""
    m = _CANONICAL.fullmatch(value)
    if m is None:
        return None
    day, mon, year, hh, mm, ss, sign, zone = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None or zone == "0000" and sign == "-":  # -0000: left to the careful path
        return None
    offset = int(zone[:2]) * 3600 + int(zone[2:]) * 60
    try:
        tz = timezone(timedelta(seconds=-offset if sign == "-" else offset))
        return datetime(int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=tz
                        ).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


@lru_cache(maxsize=16384)  # every copy of a message (sent, all documents...) repeats its Date
def parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime from a ``Date:`` header, or None when it is junk or missing.

    Years follow RFC 5322 (4.3) rather than ``email.utils``: two digits 00-49 are 2000-2049 and
    50-99 1950-1999, three digits add 1900, four or more are the year as written, so ``0001``
    stays year 1 (an implausible date the caller skips) instead of becoming 2001.
    """
    if not value:
        return None
    fast = _canonical_date(value)
    if fast is not None:
        return fast
    try:
        parts = email.utils.parsedate_tz(value)
        if parts is None:
            return None
        year, month, day, hh, mm, ss = parts[:6]
        written = _year_token(value)
        if written is not None and written.isascii() and written.isdigit():
            n = int(written)
            year = n + (2000 if n < 50 else 1900) if len(written) <= 2 else (
                n + 1900 if len(written) == 3 else n)
        zone = timezone(timedelta(seconds=parts[9] or 0))  # '-0000' or none: RFC 5322 says unknown
        return datetime(year, month, day, hh, mm, ss, tzinfo=zone).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):  # past 9999, before 1
        return None


_DAYNAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _year_token(value: str) -> str | None:
    """The year of a date ``email.utils`` can read, as written: its tokens, found its way."""
    data = value.split()
    if not data:
        return None
    if data[0].endswith(",") or data[0].lower() in _DAYNAMES:
        del data[0]
    else:
        data[0] = data[0][data[0].rfind(",") + 1 :]
    if len(data) == 3 and len(stuff := data[0].split("-")) == 3:  # RFC 850
        data = stuff + data[1:]
    if len(data) == 4:
        zone = data[3].find("+")
        zone = data[3].find("-") if zone == -1 else zone
        data[3:] = [data[3][:zone], data[3][zone:]] if zone > 0 else [data[3], ""]
    if len(data) < 5:
        return None
    year = data[3] if data[2].find(":") > 0 else data[2]  # "14 May 16:39:00 2001"
    year = year[:-1] if year.endswith(",") else year
    return data[4] if not year[:1].isdigit() else year
