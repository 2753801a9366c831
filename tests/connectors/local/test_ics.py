"""The ics connector on generated calendars: recurrence, overrides, attendees, cursor, gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import Attendee, Env, EventRecord, Listing, Page
from connectors.errors import BadArchive
from connectors.local import ics
from connectors.local.ics import IcsSource
from connectors.settings import IcsAccount

from contract.suite import skipped

NOW = datetime(2024, 3, 1, tzinfo=UTC)

WEEKLY = """BEGIN:VEVENT
UID:weekly-1
DTSTART:20240101T100000Z
DTEND:20240101T110000Z
RRULE:FREQ=WEEKLY
EXDATE:20240115T100000Z
ORGANIZER;CN=Boss:mailto:boss@x.com
ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:me@y.org
ATTENDEE;PARTSTAT=DECLINED:MAILTO:Someone@X.com
ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@x.com
ATTENDEE;CN=No Status:mailto:later@x.com
END:VEVENT
BEGIN:VEVENT
UID:weekly-1
RECURRENCE-ID:20240108T100000Z
DTSTART:20240109T120000Z
DTEND:20240109T130000Z
STATUS:CANCELLED
ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@y.org
END:VEVENT
"""
OTHERS = """BEGIN:VEVENT
UID:allday
DTSTART;VALUE=DATE:20240203
STATUS:TENTATIVE
END:VEVENT
BEGIN:VEVENT
UID:floating
DTSTART:20240204T090000
DURATION:PT30M
END:VEVENT
BEGIN:VEVENT
UID:zoned
DTSTART;TZID=Europe/Berlin:20240205T090000
DTEND;TZID=Europe/Berlin:20240205T100000
END:VEVENT
BEGIN:VEVENT
UID:broken
SUMMARY:no start at all
END:VEVENT
"""


def calendar(*events: str) -> str:
    body = "".join(events).replace("\n", "\r\n")
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def drain(source: IcsSource, cursor: str | None = None) -> list[Page]:
    return list(source.pages(cursor))


def events(pages: list[Page]) -> list[EventRecord]:
    return [r for p in pages for r in p.records if isinstance(r, EventRecord)]


def source(root: Path, clock: Clock | None = None, page_size: int = 500) -> IcsSource:
    return IcsSource("c/calendar", root, "c", 60, clock or Clock(NOW), page_size)


def test_weekly_rule_without_end_is_bounded_with_override_and_exdate(tmp_path: Path) -> None:
    (tmp_path / "work.ics").write_text(calendar(WEEKLY))
    got = events(drain(source(tmp_path)))
    occurrences = [e.occurrence for e in got]
    mondays = [datetime(2024, 1, 1, 10, tzinfo=UTC) + timedelta(weeks=w) for w in range(18)]
    assert occurrences == [m for m in mondays if m.day != 15 or m.month != 1]
    assert max(occurrences) < NOW + timedelta(days=60)
    moved = got[1]
    assert moved.source_id == "work.ics:weekly-1:2024-01-08T10:00:00+00:00"
    assert moved.start == datetime(2024, 1, 9, 12, tzinfo=UTC)
    assert moved.status == "cancelled"
    first = got[0]
    assert first.status == "confirmed" and not first.all_day
    assert first.end == datetime(2024, 1, 1, 11, tzinfo=UTC)
    assert first.organizer == Attendee("boss@x.com", "Boss", "none")
    assert first.attendees == (
        Attendee("me@y.org", "Me", "accepted"),
        Attendee("Someone@X.com", "", "declined"),
        Attendee("room1@x.com", "Room 1", "needs-action", is_resource=True),
        Attendee("later@x.com", "No Status", "needs-action"),
    )


def test_all_day_floating_zoned_and_malformed_events(tmp_path: Path) -> None:
    (tmp_path / "misc.ics").write_text(calendar(OTHERS))
    (tmp_path / "garbage.ics").write_bytes(b"\x00\x01 this is not a calendar")
    pages = drain(source(tmp_path))
    got = {e.uid: e for e in events(pages)}
    assert set(got) == {"allday", "floating", "zoned"}
    day = got["allday"]
    assert day.all_day and day.status == "tentative"
    assert day.occurrence == day.start == datetime(2024, 2, 3, tzinfo=UTC)
    assert day.end == datetime(2024, 2, 4, tzinfo=UTC)
    assert got["floating"].start == datetime(2024, 2, 4, 9, tzinfo=UTC)
    assert got["floating"].end == datetime(2024, 2, 4, 9, 30, tzinfo=UTC)
    assert got["zoned"].start == datetime(2024, 2, 5, 8, tzinfo=UTC)
    assert sum(skipped(pages).values()) == 2 and skipped(pages)["bad_calendar"] == 1


def test_resume_from_every_page_yields_exactly_the_rest(tmp_path: Path) -> None:
    (tmp_path / "a.ics").write_text(calendar(WEEKLY))
    (tmp_path / "b.ics").write_text(calendar(OTHERS))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.ics").write_text(calendar(WEEKLY))

    def make() -> IcsSource:
        return source(tmp_path, page_size=4)

    pages = drain(make())
    everything = [r.source_id for p in pages for r in p.records]
    assert len(everything) == len(set(everything)) == 17 + 3 + 17
    for k, page in enumerate(pages):
        rest = [r.source_id for p in drain(make(), page.cursor) for r in p.records]
        assert rest == [r.source_id for p in pages[k + 1 :] for r in p.records]


def test_a_first_pass_lists_its_window_honestly_and_later_passes_do_not(tmp_path: Path) -> None:
    (tmp_path / "work.ics").write_text(calendar(WEEKLY, OTHERS))
    src = source(tmp_path, page_size=4)
    pages = drain(src)
    lo, hi = NOW - ics.LOOKBACK, NOW + timedelta(days=60)
    assert pages[0].listing == Listing(lo, hi) and not any(p.listing for p in pages[1:])
    assert all(e.occurrence and lo <= e.occurrence < hi for e in events(pages))
    for page in pages:  # neither a later pass nor a resumed one opens a listing
        assert not any(p.listing for p in drain(source(tmp_path, page_size=4), page.cursor))


def test_unchanged_file_yields_only_what_the_moving_window_brings(tmp_path: Path) -> None:
    (tmp_path / "work.ics").write_text(calendar(WEEKLY, OTHERS))
    clock = Clock(NOW)
    src = source(tmp_path, clock)
    cursor = drain(src)[-1].cursor
    assert events(drain(src, cursor)) == []
    clock.now = NOW + timedelta(hours=12)  # less than a day: the file is not even parsed
    assert events(drain(src, cursor)) == []
    clock.now = NOW + timedelta(days=14)
    pages = drain(src, cursor)
    assert [e.occurrence for e in events(pages)] == [
        datetime(2024, 5, 6, 10, tzinfo=UTC),
        datetime(2024, 5, 13, 10, tzinfo=UTC),
    ]
    assert events(drain(src, pages[-1].cursor)) == []


def test_changed_file_is_read_again_and_vanished_occurrences_are_gone(tmp_path: Path) -> None:
    path = tmp_path / "work.ics"
    path.write_text(calendar(WEEKLY, OTHERS))
    src = source(tmp_path)
    cursor = drain(src)[-1].cursor
    path.write_text(calendar(WEEKLY.replace("RRULE:FREQ=WEEKLY", "RRULE:FREQ=WEEKLY;COUNT=3")))
    pages = drain(src, cursor)
    assert len(events(pages)) == 2  # 1 Jan, 8 Jan (moved); 15 Jan is excluded
    gone = [g for p in pages for g in p.gone]
    assert "work.ics:weekly-1:2024-01-22T10:00:00+00:00" in gone
    assert "work.ics:allday:2024-02-03T00:00:00+00:00" in gone
    assert len(gone) == 15 + 3
    path.unlink()
    gone = [g for p in drain(src, pages[-1].cursor) for g in p.gone]
    assert sorted(gone) == sorted(e.source_id for e in events(pages))


def test_build_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "x.ics").write_text(calendar(OTHERS))
    env = Env(state_dir=tmp_path, now=lambda: NOW)
    (src,) = ics.build(IcsAccount(name="cal", kind="ics", path=tmp_path / "x.ics"), env)
    assert src.key == "cal/calendar"
    assert len(events(list(src.pages(None)))) == 3
    with pytest.raises(BadArchive) as err:
        ics.build(IcsAccount(name="cal", kind="ics", path=tmp_path / "none"), env)
    assert "path" in err.value.hint and "cal" in err.value.hint


def test_a_file_unreadable_as_a_whole_keeps_its_occurrences(tmp_path: Path) -> None:
    path = tmp_path / "work.ics"
    path.write_text(calendar(OTHERS))
    src = source(tmp_path)
    cursor = drain(src)[-1].cursor
    path.write_bytes(b"half-written junk")
    pages = drain(src, cursor)
    assert [g for p in pages for g in p.gone] == [] and skipped(pages) == {"bad_calendar": 1}
    path.write_text(calendar(OTHERS, "\n"))  # rewritten: read in full again, nothing gone
    pages = drain(src, pages[-1].cursor)
    assert len(events(pages)) == 3 and [g for p in pages for g in p.gone] == []


def test_a_series_repeating_every_minute_is_not_expanded(tmp_path) -> None:
    from collections import Counter

    from connectors.local.ical import occurrences

    data = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
            b"UID:tick\r\nDTSTART:20240101T000000Z\r\nDTEND:20240101T000100Z\r\n"
            b"RRULE:FREQ=MINUTELY\r\nATTENDEE:mailto:a@x.com\r\nEND:VEVENT\r\n"
            b"BEGIN:VEVENT\r\nUID:weekly\r\nDTSTART:20240101T090000Z\r\nDTEND:20240101T100000Z\r\n"
            b"RRULE:FREQ=WEEKLY;COUNT=3\r\nATTENDEE:mailto:b@x.com\r\nEND:VEVENT\r\n"
            b"END:VCALENDAR\r\n")
    skipped: Counter[str] = Counter()
    hi = datetime(2025, 1, 1, tzinfo=UTC)
    records = occurrences(data, "c.ics", None, hi, datetime(2000, 1, 1, tzinfo=UTC), skipped)
    assert records is not None
    assert sorted(r.uid or "" for r in records) == ["tick", "weekly", "weekly", "weekly"]
    assert skipped["sub_daily_recurrence"] == 1


def _one_file(tmp_path: Path, *vevents: str) -> list[Page]:
    (tmp_path / "c.ics").write_text(calendar(*vevents))
    return drain(source(tmp_path))


def test_a_series_over_the_occurrence_cap_is_skipped_whatever_its_freq(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.local import ical

    monkeypatch.setattr(ical, "MAX_OCCURRENCES", 100)
    hours = ",".join(str(h) for h in range(24))
    minutes = ",".join(str(m) for m in range(60))
    disguised = (f"BEGIN:VEVENT\nUID:flood\nDTSTART:20240101T000000Z\nDURATION:PT1M\n"
                 f"RRULE:FREQ=DAILY;BYHOUR={hours};BYMINUTE={minutes}\nEND:VEVENT\n")
    daily = ("BEGIN:VEVENT\nUID:daily\nDTSTART:20240101T090000Z\nDURATION:PT1H\n"
             "RRULE:FREQ=DAILY;COUNT=100\nEND:VEVENT\n")
    over = daily.replace("UID:daily", "UID:over").replace("COUNT=100", "COUNT=101")
    pages = _one_file(tmp_path, disguised, WEEKLY, daily, over)
    uids = {e.uid for e in events(pages)}
    assert uids == {"weekly-1", "daily"} and skipped(pages) == {"too_many_occurrences": 2}


def test_an_event_with_too_many_exdates_or_rdates_is_skipped_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.local import ical

    monkeypatch.setattr(ical, "MAX_DATES", 5)
    parsed: list[bytes] = []
    real = ical.icalendar.Calendar.from_ical
    monkeypatch.setattr(ical.icalendar.Calendar, "from_ical",
                        lambda data, multiple=False: parsed.append(data) or real(data, multiple))

    def series(uid: str, dates: str) -> str:
        return (f"BEGIN:VEVENT\nUID:{uid}\nDTSTART:20240101T090000Z\nDURATION:PT1H\n"
                f"RRULE:FREQ=DAILY;COUNT=20\n{dates}END:VEVENT\n")

    five = "EXDATE:20240102T090000Z,20240103T090000Z\nRDATE:20240201T090000Z\n" \
        "EXDATE:20240104T090000Z\nEXDATE:20240105T090000Z\n"
    six = "EXDATE:20240102T090000Z,20240103T090000Z,\n 20240104T090000Z\n" \
        "RDATE:20240201T090000Z,20240202T090000Z,20240203T090000Z\n"
    pages = _one_file(tmp_path, series("five", five), series("six", six), OTHERS)
    got = {e.uid for e in events(pages)}
    assert got == {"five", "allday", "floating", "zoned"}
    assert len([e for e in events(pages) if e.uid == "five"]) == 20 - 4 + 1
    assert skipped(pages)["too_many_dates"] == 1
    assert parsed and all(b"UID:six" not in data for data in parsed)  # never parsed
