"""Calendar stream against the fake Calendar API on loopback, through the real client library."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import EventRecord
from connectors.errors import CursorExpired

from contract.suite import skipped
from fakes.google_fixtures import Waits, calendar
from fakes.google_server import FakeGoogle

ME = {"email": "me@example.com", "self": True, "responseStatus": "accepted"}
BOB = {"email": "mailto:bob@example.org", "displayName": "Bob", "responseStatus": "needsAction"}
ROOM = {"email": "room-1@resource.calendar.google.com", "resource": True,
        "responseStatus": "accepted"}


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        yield g


def records(pages: list) -> list[EventRecord]:
    return [r for p in pages for r in p.records]


def queries(fake: FakeGoogle) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(t).query) for _, t in fake.log
            if urlsplit(t).path.endswith("/events")]


def test_first_sync_window_people_and_recurrence(fake: FakeGoogle, tmp_path: Path) -> None:
    cal = fake.calendars["primary"]
    start = fake.now - timedelta(days=364, hours=2)
    cal.add("weekly", start, weekly=True, organizer={"email": "me@example.com", "self": True},
            attendees=[ME, {"email": "bob@example.org", "responseStatus": "declined"}])
    moved = f"weekly_{(start + timedelta(weeks=10)).strftime('%Y%m%dT%H%M%SZ')}"
    gone = f"weekly_{(start + timedelta(weeks=11)).strftime('%Y%m%dT%H%M%SZ')}"
    cal.override(moved, start={"dateTime": (start + timedelta(weeks=10, days=1)).isoformat()})
    cal.cancel(gone)
    cal.add("lunch", fake.now + timedelta(days=3), attendees=[ME, BOB, ROOM],
            organizer={"email": "bob@example.org", "displayName": "Bob"})
    cal.add("far", fake.now + timedelta(days=90), attendees=[ME, BOB])
    cal.add("ancient", fake.now - timedelta(days=5 * 365), attendees=[ME, BOB])
    src = calendar(fake, tmp_path)
    got = records(list(src.pages(None)))
    by_id = {r.source_id: r for r in got}
    weekly = [r for r in got if r.uid == "weekly@google.com"]
    # 364 days back + 60 ahead: 61 weekly occurrences, one cancelled; each exactly once.
    assert len(weekly) == len({r.source_id for r in weekly}) == 60
    assert gone not in by_id and "far" not in by_id and "ancient" not in by_id
    m = by_id[moved]
    assert m.occurrence == start + timedelta(weeks=10) and m.start == start + timedelta(
        weeks=10, days=1)
    lunch = by_id["lunch"]
    assert [(a.address, a.response, a.is_self, a.is_resource) for a in lunch.attendees] == [
        ("me@example.com", "accepted", True, False),
        ("bob@example.org", "needs-action", False, False),
        ("room-1@resource.calendar.google.com", "accepted", False, True)]
    assert lunch.organizer is not None and lunch.organizer.address == "bob@example.org"
    assert lunch.organizer.response == "needs-action"  # from the attendee list
    q = queries(fake)[0]
    assert q["singleEvents"] == ["true"] and "orderBy" not in q and "timeMax" in q


def test_incremental_with_sync_token(fake: FakeGoogle, tmp_path: Path) -> None:
    cal = fake.calendars["primary"]
    cal.add("a", fake.now + timedelta(days=1), attendees=[ME, BOB])
    cal.add("b", fake.now - timedelta(days=1), attendees=[ME, BOB])
    cursor = list(calendar(fake, tmp_path).pages(None))[-1].cursor
    cal.cancel("a")
    cal.add("c", fake.now + timedelta(days=2), attendees=[ME, BOB])
    cal.add("series", fake.now - timedelta(days=7), weekly=True, attendees=[ME, BOB])
    pages = list(calendar(fake, tmp_path).pages(cursor))
    got = records(pages)
    assert {g for p in pages for g in p.gone} == {"a"}
    assert "c" in {r.source_id for r in got}
    # The endless series came expanded to two years; only what is within 60 days is kept.
    series = [r for r in got if r.uid == "series@google.com"]
    assert len(series) == 10 and skipped(pages)["beyond_horizon"] > 90
    q = queries(fake)[-1]
    assert q["syncToken"] and "timeMin" not in q and "timeMax" not in q
    assert q["singleEvents"] == ["true"]
    assert json.loads(pages[-1].cursor)["cals"]["primary"]["s"].startswith("sync-")


def test_sync_token_expired_is_cursor_expired(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.calendars["primary"].add("a", fake.now, attendees=[ME, BOB])
    cursor = list(calendar(fake, tmp_path).pages(None))[-1].cursor
    fake.calendars["primary"].expire_tokens()
    with pytest.raises(CursorExpired):
        list(calendar(fake, tmp_path).pages(cursor))


def test_empty_page_with_next_token_and_paging(fake: FakeGoogle, tmp_path: Path) -> None:
    cal = fake.calendars["primary"]
    cal.empty_first_page = True
    for i in range(30):
        cal.add(f"e{i}", fake.now - timedelta(days=i), attendees=[ME, BOB])
    src = calendar(fake, tmp_path)
    src.page_size = 7
    pages = list(src.pages(None))
    assert len(records(pages)) == 30 and len(pages) == 6


def test_resume_mid_listing(fake: FakeGoogle, tmp_path: Path) -> None:
    cal = fake.calendars["primary"]
    for i in range(20):
        cal.add(f"e{i}", fake.now - timedelta(days=i), attendees=[ME, BOB])
    src = calendar(fake, tmp_path)
    src.page_size = 5
    first = next(iter(src.pages(None)))
    rest = calendar(fake, tmp_path)
    rest.page_size = 5
    ids = [r.source_id for r in first.records] + [r.source_id for r in records(
        list(rest.pages(first.cursor)))]
    assert sorted(ids) == sorted(f"e{i}" for i in range(20))


def test_window_relisted_after_thirty_days(fake: FakeGoogle, tmp_path: Path) -> None:
    cal = fake.calendars["primary"]
    cal.add("series", fake.now - timedelta(days=7), weekly=True, attendees=[ME, BOB])
    cursor = list(calendar(fake, tmp_path).pages(None))[-1].cursor
    fake.now += timedelta(days=31)
    waits = Waits()
    got = records(list(calendar(fake, tmp_path, waits).pages(cursor)))
    latest = max(r.occurrence for r in got if r.occurrence)
    assert latest >= fake.now + timedelta(days=53)  # the new window reaches 60 days on
    assert "timeMin" in queries(fake)[-1]


def test_malformed_events(fake: FakeGoogle, tmp_path: Path) -> None:
    cal = fake.calendars["primary"]
    cal.add("odd", fake.now, attendees=[{"email": None}, "x", {"email": "nobody"}, BOB],
            organizer="nope", status="weird", iCalUID=5)
    got = records(list(calendar(fake, tmp_path).pages(None)))
    (odd,) = got
    assert [a.address for a in odd.attendees] == ["bob@example.org"]
    assert odd.organizer is None and odd.status == "confirmed" and odd.uid is None
