"""Calendar window listings declare exactly the window events.list was asked for, name every
event in it, and a series cut short upstream is relisted in full (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import EventRecord, Listing, Page
from connectors.errors import CursorExpired

from fakes.google_fixtures import calendar
from fakes.google_server import FakeGoogle

ME = {"email": "me@example.com", "self": True, "responseStatus": "accepted"}
BOB = {"email": "bob@example.org", "responseStatus": "accepted"}


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        g.calendars["team"] = type(g.calendars["primary"])(g.now)
        yield g


def windows(fake: FakeGoogle) -> list[Listing]:
    """The window of each window listing request, as sent."""
    qs = [parse_qs(urlsplit(t).query) for _, t in fake.log if t.split("?")[0].endswith("/events")]
    return [Listing(datetime.fromisoformat(q["timeMin"][0]),
                    datetime.fromisoformat(q["timeMax"][0])) for q in qs if "timeMin" in q]


def recs(pages: list[Page]) -> dict[str, EventRecord]:
    return {r.source_id: r for p in pages for r in p.records if isinstance(r, EventRecord)}


def test_first_pass_declares_the_window_it_asked_for(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.calendars["primary"].add("a", fake.now, attendees=[ME, BOB])
    pages = list(calendar(fake, tmp_path).pages(None))
    (window,) = set(windows(fake))
    assert pages[0].listing == window
    assert window.start == fake.now - timedelta(days=3 * 365)
    assert window.end == fake.now + timedelta(days=60)
    assert all(p.listing is None for p in pages[1:])


def test_listing_after_expiry_names_everything_present(fake: FakeGoogle, tmp_path: Path) -> None:
    cal = fake.calendars["primary"]
    for i in range(8):
        cal.add(f"e{i}", fake.now - timedelta(days=i), attendees=[ME, BOB])
    cal.add("weekly", fake.now - timedelta(days=20), weekly=True, attendees=[ME, BOB])
    fake.calendars["team"].add("t", fake.now + timedelta(days=1), attendees=[ME, BOB])
    cursor = list(calendar(fake, tmp_path, calendars=["primary", "team"]).pages(None))[-1].cursor
    cal.cancel("e1")  # while nobody looked
    cal.respond("e2", "me@example.com", "declined")
    cal.expire_tokens()
    with pytest.raises(CursorExpired):
        list(calendar(fake, tmp_path, calendars=["primary", "team"]).pages(cursor))
    fake.log.clear()
    src = calendar(fake, tmp_path, calendars=["primary", "team"])
    src.page_size = 3
    pages: list[Page] = []
    for page in src.pages(None):
        pages.append(page)
        if len(pages) == 1:  # between pages: a cancel and a decline
            cal.cancel("e5")
            cal.respond("e6", "me@example.com", "declined")
    assert pages[0].listing == windows(fake)[0] and len(set(windows(fake))) == 1
    assert all(p.listing is None for p in pages[1:])
    got = recs(pages)
    weekly = {i for i in got if i.startswith("weekly_")}
    assert set(got) - weekly == {"e0", "e2", "e3", "e4", "e5", "e6", "e7", "t"}
    assert len(weekly) == 12  # 20 days back to 60 ahead
    assert {a.response for a in got["e2"].attendees if a.is_self} == {"declined"}
    # What changed during the listing comes with the next incremental pass.
    later = list(calendar(fake, tmp_path, calendars=["primary", "team"]).pages(pages[-1].cursor))
    assert {g for p in later for g in p.gone} == {"e5"}
    assert {a.response for a in recs(later)["e6"].attendees if a.is_self} == {"declined"}
    assert all(p.listing is None for p in later)


def test_relisting_a_window_relists_every_calendar(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.calendars["primary"].add("a", fake.now, attendees=[ME, BOB])
    fake.calendars["team"].add("t", fake.now, attendees=[ME, BOB])
    cursor = list(calendar(fake, tmp_path, calendars=["primary", "team"]).pages(None))[-1].cursor
    fake.now += timedelta(days=31)
    fake.log.clear()
    pages = list(calendar(fake, tmp_path, calendars=["primary", "team"]).pages(cursor))
    (window,) = set(windows(fake))
    assert len(windows(fake)) == 2 and window.end == fake.now + timedelta(days=60)
    assert pages[0].listing == window and set(recs(pages)) == {"a", "t"}


def test_resumed_listing_is_not_declared_again(fake: FakeGoogle, tmp_path: Path) -> None:
    for i in range(6):
        fake.calendars["primary"].add(f"e{i}", fake.now - timedelta(days=i), attendees=[ME])
    src = calendar(fake, tmp_path, calendars=["primary", "team"])
    src.page_size = 2
    first = next(iter(src.pages(None)))
    rest = list(calendar(fake, tmp_path, calendars=["primary", "team"]).pages(first.cursor))
    assert first.listing is not None and all(p.listing is None for p in rest)
    assert len(recs([first, *rest])) == 6


def test_series_cut_short_is_relisted_in_full(fake: FakeGoogle, tmp_path: Path) -> None:
    cal = fake.calendars["primary"]
    start = fake.now - timedelta(days=14)
    cal.add("weekly", start, weekly=True, attendees=[ME, BOB])
    cal.add("other", start, weekly=True, attendees=[ME, BOB])
    first = list(calendar(fake, tmp_path, upcoming_days=365).pages(None))
    before = {i for i in recs(first) if i.startswith("weekly_")}
    until = start + timedelta(weeks=4)
    cal.end_series("weekly", until)
    pages = list(calendar(fake, tmp_path, upcoming_days=365).pages(first[-1].cursor))
    gone = {g for p in pages for g in p.gone}
    (series,) = [s for p in pages for s in p.series]
    assert series.uid == "weekly@google.com"
    assert series.start == fake.now - timedelta(days=3 * 365)
    assert series.end == fake.now + timedelta(days=365)
    left = {i for i in recs([p for p in pages if p.series]) if i.startswith("weekly_")}
    assert len(left) == 4 and all(i in before for i in left)
    # Google reports only about six months of removed occurrences as cancelled; the rest
    # are learnable only because the series was listed in full.
    assert gone and gone < before - left
    assert before - left - gone
    assert not any(i.startswith("other_") for i in recs(pages))


def test_one_cancelled_occurrence_keeps_its_series(fake: FakeGoogle, tmp_path: Path) -> None:
    cal = fake.calendars["primary"]
    start = fake.now - timedelta(days=14)
    cal.add("weekly", start, weekly=True, attendees=[ME, BOB])
    cursor = list(calendar(fake, tmp_path).pages(None))[-1].cursor
    one = f"weekly_{start + timedelta(weeks=3):%Y%m%dT%H%M%SZ}"
    cal.cancel(one)
    pages = list(calendar(fake, tmp_path).pages(cursor))
    assert {g for p in pages for g in p.gone} == {one}
    assert [s.uid for p in pages for s in p.series] == ["weekly@google.com"]
    assert one not in recs(pages) and len(recs(pages)) == 11 - 1  # -14 to +56 days


def test_deleted_series_goes_as_cancelled_without_a_series(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    cal = fake.calendars["primary"]
    cal.add("weekly", fake.now - timedelta(days=14), weekly=True, attendees=[ME, BOB])
    cursor = list(calendar(fake, tmp_path).pages(None))[-1].cursor
    cal.cancel("weekly")
    pages = list(calendar(fake, tmp_path).pages(cursor))
    assert not recs(pages) and not any(p.series for p in pages)
    assert len({g for p in pages for g in p.gone}) > 10
