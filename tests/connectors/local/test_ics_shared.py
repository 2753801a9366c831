"""The ics connector on the real exported calendars in ../shared (skipped when absent)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import EventRecord
from connectors.local.ics import IcsSource

from contract.suite import skipped

CALENDARS = Path(__file__).resolve().parents[4] / "shared" / "data" / "calendars"
pytestmark = pytest.mark.skipif(not CALENDARS.exists(), reason="../shared is not present")
NOW = datetime(2022, 1, 1, tzinfo=UTC)


def events(path: Path) -> tuple[list[EventRecord], Counter[str]]:
    """The events of one file, and the skip counts its pages reported."""
    pages = list(IcsSource("real/calendar", path, "real", 60, lambda: NOW).pages(None))
    return [r for p in pages for r in p.records if isinstance(r, EventRecord)], skipped(pages)


def test_google_export_with_many_attendees() -> None:
    got, skips = events(CALENDARS / "recurring-ical-events__benchmark__issue42.ics")
    assert len({e.uid for e in got}) > 4000
    people = {a.address.lower() for e in got for a in (*e.attendees, e.organizer) if a}
    assert 100 <= len(people) <= 133
    assert all(e.start and e.start.tzinfo is not None for e in got)
    assert {"confirmed", "tentative"} <= {e.status for e in got}
    assert not any(a.address.lower().startswith("mailto:") for e in got for a in e.attendees)
    assert set(skips) <= {"bad_property"}  # one line the export itself garbled


def test_exchange_overrides_keep_one_record_per_occurrence() -> None:
    got, _ = events(CALENDARS / "icalevents__recurring_override_exchange.ics")
    ids = [e.source_id for e in got]
    assert len(ids) == len(set(ids)) > 100
    assert any(e.occurrence != e.start for e in got)  # a moved occurrence keeps its original


def test_partstat_vocabulary_and_unparsable_attendees_counted() -> None:
    (event,), skips = events(CALENDARS / "khal__event_dt_partstat.ics")
    assert {a.response for a in event.attendees} == {"accepted", "declined", "tentative"}
    assert skips == {"bad_property": 2}  # two ATTENDEE lines icalendar cannot parse


def test_whole_folder_resumes_without_loss() -> None:
    src = IcsSource("real/calendar", CALENDARS, "real", 60, lambda: NOW)
    pages = list(src.pages(None))
    assert len(pages) > 2
    middle = pages[len(pages) // 2]
    rest = [r.source_id for p in src.pages(middle.cursor) for r in p.records]
    assert rest == [r.source_id for p in pages[len(pages) // 2 + 1 :] for r in p.records]
    assert [r for p in src.pages(pages[-1].cursor) for r in p.records] == []
