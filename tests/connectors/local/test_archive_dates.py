"""Archive dates: a four-digit year below 1900 (``Date: ... 0001``) is implausible and skipped,
never widened to 2001; two-digit years keep the RFC 5322 rule (00-49: 20xx, 50-99: 19xx)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from connectors.local import headers
from daemon.sync.dates import parse_date
from daemon.sync.meaning import Interpreter

NOW = datetime(2026, 11, 30, tzinfo=UTC)
_months = st.sampled_from(["Jan", "Feb", "Jun", "Sep", "Dec"])
_zones = st.sampled_from(["+0000", "-0800", "+0530", "-0000", "GMT", "EST", ""])
_days = st.sampled_from(["", "Mon, ", "Sat,"])


def _interpret(date: str) -> tuple[object, dict[str, int]]:
    block = f"From: a@x.org\r\nTo: me@y.org\r\nDate: {date}\r\n".encode()
    record = headers.parse_block(block, "1.eml")
    assert record is not None and record.date_header == date
    interp = Interpreter({"me@y.org"}, "box", NOW)
    return interp.interpret(record), dict(interp.skipped)


def test_explicit_years() -> None:
    assert parse_date("Tue, 1 Jan 0001 10:00:00 +0000") == datetime(1, 1, 1, 10, tzinfo=UTC)
    assert parse_date("1 Jan 0099 00:00:00 +0000") == datetime(99, 1, 1, tzinfo=UTC)
    assert parse_date("Sat, 11 Feb 0002 08:25:01 -0800 (PST)") == datetime(
        2, 2, 11, 16, 25, 1, tzinfo=UTC)
    assert parse_date("1 Jan 0000 00:00:00 +0000") is None  # no year 0
    assert parse_date("1 Jan 1899 00:00:00 +0000") == datetime(1899, 1, 1, tzinfo=UTC)
    assert parse_date("1 Jan 01 10:00 GMT") == datetime(2001, 1, 1, 10, tzinfo=UTC)
    assert parse_date("1 Jan 49 10:00 GMT") == datetime(2049, 1, 1, 10, tzinfo=UTC)
    assert parse_date("1 Jan 50 10:00 GMT") == datetime(1950, 1, 1, 10, tzinfo=UTC)
    assert parse_date("1 Jan 99 10:00 GMT") == datetime(1999, 1, 1, 10, tzinfo=UTC)
    assert parse_date("1 Jan 101 10:00 +0000") == datetime(2001, 1, 1, 10, tzinfo=UTC)  # 3 digits
    assert parse_date("14-May-01 16:39:00 GMT") == datetime(2001, 5, 14, 16, 39, tzinfo=UTC)
    assert parse_date("Mon May 14 16:39:00 2001") == datetime(2001, 5, 14, 16, 39, tzinfo=UTC)
    assert parse_date("14 May 16:39:00 0001 +0000") == datetime(1, 5, 14, 16, 39, tzinfo=UTC)


def test_a_message_dated_0001_is_skipped_and_counted_not_dated_2001() -> None:
    meaning, skipped = _interpret("Tue, 1 Jan 0001 10:00:00 +0000")
    assert meaning is None and skipped == {"implausible_date": 1}
    meaning, skipped = _interpret("Tue, 1 Jan 0001 00:00:00 +0100")  # before year 1 in UTC
    assert meaning is None and skipped == {"bad_date": 1}
    meaning, skipped = _interpret("Tue, 1 Jan 02 10:00:00 +0000")
    assert meaning is not None and not skipped


@given(_days, st.integers(1, 28), _months, st.integers(0, 1899), st.booleans(), _zones)
def test_a_four_digit_year_below_1900_never_reads_as_a_plausible_date(
    dow: str, day: int, mon: str, year: int, seconds: bool, zone: str
) -> None:
    clock = "10:00:00" if seconds else "10:00"
    date = f"{dow}{day} {mon} {year:04d} {clock} {zone}".strip()
    parsed = parse_date(date)
    assert parsed is None or parsed < datetime(1900, 1, 2, tzinfo=UTC)
    meaning, skipped = _interpret(date)
    assert meaning is None and sum(skipped.values()) == 1


@given(_days, st.integers(1, 28), _months, st.integers(0, 99), _zones)
def test_two_digit_years_follow_rfc_5322(dow: str, day: int, mon: str, yy: int, zone: str
                                         ) -> None:
    parsed = parse_date(f"{dow}{day} {mon} {yy:02d} 12:00:00 {zone}".strip())
    assert parsed is not None and parsed.year == (2000 + yy if yy < 50 else 1900 + yy)
