"""Fuzzing the record parsers: any bytes in, a record or a counted skip out, never an exception.

Header blocks (:func:`connectors.local.headers.parse_block`, through the maildir source that
counts what it cannot read) and iCalendar files (:func:`connectors.local.ical.occurrences`).
Inputs mix raw bytes with near-valid text built from the grammar, which reaches deeper. The
profile is fixed for CI: derandomized (the same examples on every run), 200 examples each.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import EventRecord, MessageRecord
from connectors.local import headers, ical
from connectors.local.maildir import MaildirSource

FUZZ = settings(max_examples=200, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

_names = st.sampled_from([b"From", b"To", b"Cc", b"Date", b"Message-ID", b"References",
                          b"In-Reply-To", b"List-Id", b"X-Gmail-Labels", b"X-GM-THRID",
                          b"Precedence", b"Subject", b"from", b"X\x00Y", b"", b" To"])
_values = st.one_of(st.binary(max_size=60), st.sampled_from([
    b"a@x.org", b'"Doe, J" <j@x.org>, =?utf-8?q?Jos=C3=A9?= <jose@y.es>', b"=?bad?=",
    b"Mon, 14 May 2001 16:39:00 -0700", b"1 Jan 0001 00:00", b"<a@b> <c@d>", b"\xff\xfe",
    b'"Inbox","Sent"', b"12345678901234567890123", b"\r\n\tfolded", b""]))
_lines = st.tuples(_names, st.sampled_from([b": ", b":", b" : ", b"\t:"]), _values,
                   st.sampled_from([b"\n", b"\r\n", b"\n ", b"\r"])).map(b"".join)
_blocks = st.one_of(st.binary(max_size=400),
                    st.lists(_lines, max_size=12).map(b"".join),
                    st.tuples(st.lists(_lines, max_size=6).map(b"".join), st.binary(max_size=80))
                    .map(b"\n\n".join))


@FUZZ
@given(_blocks)
def test_a_header_block_becomes_a_record_or_none(block: bytes) -> None:
    record = headers.parse_block(block, "s", ("INBOX",))
    assert record is None or isinstance(record, MessageRecord) and record.source_id == "s"


@FUZZ
@given(st.lists(_blocks, min_size=1, max_size=4))
def test_every_file_of_a_maildir_is_a_record_or_a_counted_skip(blocks: list[bytes]) -> None:
    with TemporaryDirectory() as d:
        for i, block in enumerate(blocks):
            (Path(d) / f"{i}.eml").write_bytes(block)
        source = MaildirSource("m/mail", Path(d), "m", clock=lambda: time.time() + 60)
        pages = list(source.pages(None))
    records = [r for p in pages for r in p.records]
    skips = sum(sum(p.skipped.values()) for p in pages)
    assert len(records) + skips == len(blocks)


_dt = st.sampled_from(["20240105T090000Z", "20240105T090000", "20240105", "2024", "",
                       "20241305T250000Z", "19000101T000000Z", "99991231T235959Z",
                       "20240105T090000Z/PT1H"])
_rules = st.sampled_from(["FREQ=DAILY", "FREQ=WEEKLY;COUNT=3", "FREQ=MINUTELY", "FREQ=YEARLY;"
                          "BYMONTH=13", "FREQ=DAILY;BYHOUR=0,1,2,3;BYMINUTE=0,15,30,45",
                          "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20240601", "FREQ=", "COUNT=x",
                          "FREQ=WEEKLY;UNTIL=20230101T000000Z", "FREQ=HOURLY;INTERVAL=0"])
_props = st.one_of(
    st.tuples(st.sampled_from(["DTSTART", "DTEND", "EXDATE", "RDATE", "RECURRENCE-ID",
                               "DTSTART;VALUE=DATE", "DTSTART;TZID=Europe/Berlin",
                               "DTSTART;TZID=Nowhere/Zone", "EXDATE;VALUE=DATE"]), _dt)
    .map(lambda p: f"{p[0]}:{p[1]}"),
    _rules.map(lambda r: f"RRULE:{r}"),
    st.sampled_from(["UID:a", "UID:b", "UID:", "STATUS:CANCELLED", "STATUS:weird",
                     "DURATION:PT1H", "DURATION:bogus", "ORGANIZER:mailto:", "ATTENDEE:",
                     "ATTENDEE;PARTSTAT=DECLINED;CN=X:mailto:x@y.org", "BEGIN:VALARM",
                     "END:VALARM", "X-WR-TIMEZONE:Europe/Paris", "SUMMARY:\\,;"]),
    st.text(max_size=30))


def _calendar(events: list[list[str]]) -> bytes:
    body = "".join("BEGIN:VEVENT\r\n" + "".join(f"{p}\r\n" for p in props) + "END:VEVENT\r\n"
                   for props in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n".encode(
        "utf-8", "surrogatepass")


_calendars = st.one_of(st.binary(max_size=300),
                       st.lists(st.lists(_props, max_size=8), max_size=4).map(_calendar))


@FUZZ
@given(_calendars)
def test_an_icalendar_file_becomes_records_or_counted_skips(data: bytes) -> None:
    skipped: Counter[str] = Counter()
    lo, hi = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC)
    with mock.patch.object(ical, "MAX_OCCURRENCES", 300):  # the cap, not the window, bounds work
        records = ical.occurrences(data, "c.ics", None, hi, lo, skipped)
    if records is None:
        assert skipped["bad_calendar"] == 1
        return
    assert all(isinstance(r, EventRecord) and r.occurrence and lo <= r.occurrence < hi
               for r in records)
    assert len({r.source_id for r in records}) == len(records)
