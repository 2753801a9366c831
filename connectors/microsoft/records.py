"""Graph JSON -> neutral values: SMTP address checks, rendered addresses, aware UTC times."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from email.utils import formataddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# One "@", no spaces or address specials: legacy Exchange DNs ("/o=ExchangeLabs/..."), bare
# names and "Name <addr>" strings that Graph sometimes puts in emailAddress.address all fail.
_SMTP = re.compile(r"[^\s@<>()\[\],;:\"\\]+@[^\s@<>()\[\],;:\"\\.]+(\.[^\s@<>()\[\],;:\"\\.]+)*")
_FRACTION = re.compile(r"(\.\d{6})\d+")


def smtp_address(value: object) -> str | None:
    """``value`` stripped of ``mailto:`` when it is a plausible SMTP address, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text if _SMTP.fullmatch(text) else None


def email_address(entry: object, skipped: Counter[str]) -> tuple[str, str] | None:
    """``(name, address)`` of a Graph recipient ``{"emailAddress": {name, address}}``;
    None (counted) when the entry or its address is missing or not SMTP."""
    box = entry.get("emailAddress") if isinstance(entry, dict) else None
    raw = box.get("address") if isinstance(box, dict) else None
    address = smtp_address(raw)
    if address is None:
        skipped["bad_address" if raw else "missing_address"] += 1
        return None
    name = box.get("name") if isinstance(box, dict) else None
    name = name.strip() if isinstance(name, str) else ""
    return ("" if name.lower() == address.lower() else name), address


def render(entry: object, skipped: Counter[str]) -> str | None:
    """One recipient as a header-style string (``formataddr``), or None when unusable."""
    pair = email_address(entry, skipped)
    if pair is None:
        return None
    name, address = " ".join(pair[0].split()), pair[1]  # no line break inside a header
    try:
        return formataddr((name, address))
    except UnicodeError:  # internationalised address: formataddr insists on ASCII
        # Quoted as formataddr would: unquoted, "a@b.example, x" would read as an address.
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address}>' if name else address


def render_all(entries: object, skipped: Counter[str]) -> tuple[str, ...]:
    """Every usable recipient of a Graph recipient list, one string each."""
    if not isinstance(entries, list):
        return ()
    out = (render(e, skipped) for e in entries)
    return tuple(r for r in out if r)


def instant(value: object) -> datetime | None:
    """An ISO 8601 DateTimeOffset (``...Z`` or with offset) as aware UTC; None if unusable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(_FRACTION.sub(r"\1", value))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def zoned(value: object, skipped: Counter[str]) -> datetime | None:
    """A Graph ``dateTimeTimeZone`` (``{"dateTime": ..., "timeZone": ...}``) as aware UTC.
    We ask for UTC; an unknown (e.g. Windows) zone name is read as UTC and counted."""
    if not isinstance(value, dict):
        return None
    moment = instant(value.get("dateTime"))
    zone = value.get("timeZone") or "UTC"
    if moment is None or zone in ("UTC", "Etc/UTC", "tzone://Microsoft/Utc"):
        return moment
    try:
        return moment.replace(tzinfo=ZoneInfo(str(zone))).astimezone(UTC)
    except (ZoneInfoNotFoundError, ValueError):
        skipped["unknown_timezone"] += 1
        return moment


def text(value: Any) -> str | None:
    """A non-empty string or None."""
    return value if isinstance(value, str) and value else None
