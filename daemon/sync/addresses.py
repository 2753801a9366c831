"""Parse raw address headers and dates safely, one header value at a time.

``email.headerregistry`` decodes RFC 2047 names and understands groups; ``getaddresses`` is
the fallback. Each header value is parsed alone because newer Pythons' strict parser drops
a whole call when one address in it is malformed. Nothing here raises on bad input: it
returns what it could read and tells the caller what it skipped.
"""

from __future__ import annotations

import email.utils
import re
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from email.header import decode_header, make_header
from email.policy import default as default_policy
from functools import lru_cache

_GMAIL = {"gmail.com", "googlemail.com"}


@lru_cache(maxsize=16384)
def normalise(address: str) -> str:
    """Lower-case for matching; ``googlemail.com`` is ``gmail.com`` and Gmail ignores dots."""
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def valid(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and ".." not in domain
                and " " not in address and "@" not in local and len(address) <= 320)


def _parse_value(value: str) -> tuple[tuple[tuple[str, str], ...], int]:
    """(name, address) pairs of one header value, and how many malformed entries it held
    (uncached: :func:`_normalised` caches its results)."""
    fast = _fast(value)
    if fast is not None:
        return fast, 0
    try:
        header = default_policy.header_factory("To", value)
        found = [(a.display_name, a.addr_spec) for a in header.addresses]  # type: ignore[attr-defined]
    except Exception:  # the registry raises IndexError etc. on junk such as 'bob@'
        found = [(_safe_decoded(n), a) for n, a in email.utils.getaddresses([value])]
    return _joined(found)


_SURNAME = re.compile(r"[^\W\d_][\w'. -]{0,40}")


def _joined(found: list[tuple[str, str]]) -> tuple[tuple[tuple[str, str], ...], int]:
    """Valid pairs, and the count of malformed entries. A bare word followed by a named
    address is the first half of an unquoted ``Doe, John <j@x>``: it rejoins the name."""
    good: list[tuple[str, str]] = []
    bad, pending = 0, ""
    for name, addr in found:
        if addr and valid(addr):
            if pending and name:
                name, pending = f"{pending}, {name}", ""
            good.append((" ".join(name.split()), addr))
        elif (addr or name) and _SURNAME.fullmatch((name or addr).strip()):
            bad += bool(pending)
            pending = (name or addr).strip()
        elif addr or name:
            bad += 1
        if pending and good and good[-1][0].startswith(pending + ", "):
            pending = ""
    return tuple(good), bad + bool(pending)


def _fast(value: str) -> tuple[tuple[str, str], ...] | None:
    """``getaddresses`` for plain ASCII values it reads cleanly, which is most of them and
    twenty times faster than the header registry; None sends the value to the careful path
    (encoded words, groups, stray commas, strict-mode refusals)."""
    if ":" in value or not value.isascii():
        return None
    pairs = None if _SPECIAL.search(value) or value.count('"') % 2 else _simple(value)
    if pairs is None:
        pairs = email.utils.getaddresses([value])
    if not pairs or not all(addr and valid(addr) for _, addr in pairs):
        return None
    try:
        return tuple((" ".join(_decoded(name).split()), addr) for name, addr in pairs)
    except (ValueError, LookupError, UnicodeError):  # a broken encoded word: be careful
        return None


_SPECIAL = re.compile(r'[()\\;]')
_PARTS = re.compile(r'(?:"[^"]*"|[^,"])+')
_ENTRY = re.compile(r'^\s*(?:(?:"([^"]*)"|([^<>"]*?))\s*<([^<>\s"]+)>|([^<>\s"]+))\s*$')


def _simple(value: str) -> list[tuple[str, str]] | None:
    """Comma-separated ``Name <addr>``, ``"Name, Q" <addr>`` or ``addr`` entries with no
    comments, escapes or groups; None when anything else appears."""
    out = []
    for part in _PARTS.findall(value):
        if not part.strip():
            continue
        m = _ENTRY.match(part)
        if m is None:
            return None
        out.append((m.group(1) or m.group(2) or "", m.group(3) or m.group(4)))
    return out


@lru_cache(maxsize=4096)
def _decoded(name: str) -> str:
    """An RFC 2047 display name decoded (``=?utf-8?q?Jos=C3=A9?=`` -> ``José``)."""
    return str(make_header(decode_header(name))) if "=?" in name else name


def _safe_decoded(name: str) -> str:
    """:func:`_decoded`, or the raw name when its encoded words are broken."""
    try:
        return _decoded(name)
    except (ValueError, LookupError, UnicodeError):
        return name


def parse_addresses(values: tuple[str, ...], skipped: Counter[str]) -> list[tuple[str, str]]:
    """Every valid (display name, normalised address) in ``values``; bad ones counted."""
    out: list[tuple[str, str]] = []
    for value in values:
        pairs, bad = _normalised(value)
        if bad:
            skipped["malformed_address"] += bad
        out.extend(pairs)
    return out


@lru_cache(maxsize=16384)
def _normalised(value: str) -> tuple[tuple[tuple[str, str], ...], int]:
    """:func:`_parse_value` with each address normalised: the same lists recur in archives
    (every copy of a message, every reply to a thread), so this is paid once per value."""
    pairs, bad = _parse_value(value)
    return tuple((name, normalise(addr)) for name, addr in pairs), bad


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
