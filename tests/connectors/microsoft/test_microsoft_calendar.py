"""Outlook calendar stream (calendarView delta) against the fake Graph, real msal and httpx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import Attendee, EventRecord, Listing
from connectors.microsoft.graph_calendar import event_record

from fakes.graph_fixtures import NOW, Store, Waits, running_fake, sign_in, sources
from fakes.graph_mailbox import box
from fakes.graph_server import FakeGraph


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    with running_fake(tmp_path, monkeypatch) as g:
        sign_in(g, tmp_path / "state")
        yield g


def calendar(fake: FakeGraph, tmp_path: Path, now: datetime = NOW, **kw: object):  # noqa: ANN201
    return sources(fake, tmp_path / "state", Waits(), now, **kw)["calendar"]


def person(address: str, response: str = "accepted", kind: str = "required") -> dict[str, object]:
    return {**box(address), "type": kind, "status": {"response": response,
                                                     "time": "2025-01-01T00:00:00Z"}}


def weekly(fake: FakeGraph, first: datetime, count: int) -> list[str]:
    """A weekly series as calendarView lists it: one item per occurrence, one moved."""
    ids = []
    for i in range(count):
        original = first + timedelta(weeks=i)
        moved = original + timedelta(hours=2) if i == 2 else original
        ids.append(fake.mailbox.add_event(
            moved, type="exception" if i == 2 else "occurrence", seriesMasterId="AAMkMaster",
            originalStart=original.strftime("%Y-%m-%dT%H:%M:%SZ"),
            attendees=[person("me@contoso.example", "none"), person("ann@example.com"),
                       person("room-1@contoso.example", "accepted", "resource")],
            responseStatus={"response": "tentativelyAccepted", "time": "2025-01-01T00:00:00Z"}))
    return ids


def test_recurring_meeting_yields_each_occurrence_once(fake: FakeGraph, tmp_path: Path) -> None:
    first = datetime(2025, 2, 3, 9, 0, tzinfo=UTC)
    ids = weekly(fake, first, 5)
    store = Store()
    store.apply(calendar(fake, tmp_path).pages(None))
    assert set(store) == set(ids)
    moved = store[ids[2]]
    assert isinstance(moved, EventRecord)
    assert moved.occurrence == first + timedelta(weeks=2)
    assert moved.start == first + timedelta(weeks=2, hours=2)
    me, ann, room = moved.attendees
    assert me == Attendee("me@contoso.example", "", "tentative", is_self=True)
    assert ann.response == "accepted" and not ann.is_self and not ann.is_resource
    assert room.is_resource
    assert moved.organizer == Attendee("boss@example.com", "The Boss", "accepted")
    assert fake.graph_count("$select") == 0  # calendarView delta takes no $select


def test_cancelled_declined_and_organised(fake: FakeGraph, tmp_path: Path) -> None:
    at = datetime(2025, 3, 12, 15, 0, tzinfo=UTC)
    cancelled = fake.mailbox.add_event(at, isCancelled=True, attendees=[person("a@x.example")])
    declined = fake.mailbox.add_event(at, responseStatus={"response": "Declined"},
                                      attendees=[person("b@x.example")])
    mine = fake.mailbox.add_event(at, isOrganizer=True, organizer=box("me@contoso.example"),
                                  attendees=[person("c@x.example", "notResponded")],
                                  responseStatus={"response": "organizer"})
    allday = fake.mailbox.add_event(datetime(2025, 3, 14, tzinfo=UTC), minutes=24 * 60,
                                    isAllDay=True)
    store = Store()
    pages = list(calendar(fake, tmp_path).pages(None))
    store.apply(pages)
    assert cancelled not in store and cancelled in {g for p in pages for g in p.gone}
    assert [a for a in store[declined].attendees if a.is_self] == [
        Attendee("me@contoso.example", "", "declined", is_self=True)]
    organised = store[mine]
    assert organised.organizer is not None and organised.organizer.is_self
    assert [a.response for a in organised.attendees] == ["needs-action"]
    assert store[allday].all_day


def test_incremental_changes_deletes_and_resume(fake: FakeGraph, tmp_path: Path) -> None:
    fake.page_cap = 3
    at = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    ids = [fake.mailbox.add_event(at + timedelta(days=i)) for i in range(10)]
    store = Store()
    cursor = store.apply(calendar(fake, tmp_path).pages(None))
    fake.mailbox.delete_event(ids[0])
    fake.mailbox.change_event(ids[1], isCancelled=True)
    new = fake.mailbox.add_event(at + timedelta(days=20))
    cursor = store.apply(calendar(fake, tmp_path).pages(cursor), cursor)
    assert set(store) == {*ids[2:], new}  # cancelled by its organiser: gone


def test_window_moves_forward_after_catching_up(fake: FakeGraph, tmp_path: Path) -> None:
    at = NOW + timedelta(days=5)
    first = fake.mailbox.add_event(at)
    store = Store()
    cursor = store.apply(calendar(fake, tmp_path, lookback_days=30).pages(None))
    assert cursor is not None
    window = json.loads(cursor)
    assert window["start"].startswith("2025-02-08") and window["end"].startswith("2025-05-09")
    fake.mailbox.delete_event(first)
    later = fake.mailbox.add_event(NOW + timedelta(days=65))  # beyond the first window
    cursor = store.apply(calendar(fake, tmp_path, NOW + timedelta(days=10),
                                  lookback_days=30).pages(cursor), cursor)
    assert set(store) == {later}  # the deletion was caught before the window moved
    assert cursor is not None and json.loads(cursor)["end"].startswith("2025-05-19")
    starts = [parse_qs(urlsplit(t).query).get("startDateTime") for _, t in fake.requests
              if "calendarView" in t]
    assert [s for s in starts if s] == [["2025-02-08T00:00:00Z"], ["2025-02-18T00:00:00Z"]]


def test_expired_calendar_token_starts_a_new_round(fake: FakeGraph, tmp_path: Path) -> None:
    fake.expiry = "syncStateNotFound"
    ev = fake.mailbox.add_event(NOW)
    store = Store()
    cursor = store.apply(calendar(fake, tmp_path).pages(None))
    fake.mailbox.expire_tokens()
    new = fake.mailbox.add_event(NOW + timedelta(days=1))
    store.apply(calendar(fake, tmp_path).pages(cursor), cursor)
    assert set(store) == {ev, new}


def test_bad_attendees_and_windows_zones_are_counted() -> None:
    from collections import Counter

    skipped: Counter[str] = Counter()
    item = {"id": "e1", "start": {"dateTime": "2025-03-01T09:00:00.0000000",
                                  "timeZone": "Pacific Standard Time"},
            "end": {"dateTime": "2025-03-01T10:00:00.0000000", "timeZone": "Europe/Berlin"},
            "organizer": {"emailAddress": {"name": "Legacy", "address": "/o=ExchangeLabs/cn=x"}},
            "attendees": [person("ok@example.com"), {"emailAddress": {"name": "Only Name"}},
                          "junk", person("MAILTO:Caps@Example.com", "TentativelyAccepted")]}
    rec = event_record(item, {"me@contoso.example"}, skipped)
    assert rec is not None and rec.organizer is None
    assert [a.address for a in rec.attendees] == ["ok@example.com", "Caps@Example.com",
                                                  "me@contoso.example"]
    assert rec.attendees[1].response == "tentative"
    assert rec.end == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert skipped == {"bad_address": 1, "missing_address": 2, "unknown_timezone": 1}


# ---- issue 10: the store equals the calendar (within the window it lists) -------------------

def window(cursor: str | None) -> Listing:
    assert cursor is not None
    state = json.loads(cursor)
    return Listing(datetime.fromisoformat(state["start"]), datetime.fromisoformat(state["end"]))


def listings(pages: list) -> list[tuple[int, Listing]]:  # type: ignore[type-arg]
    return [(i, p.listing) for i, p in enumerate(pages) if p.listing is not None]


def test_first_round_lists_exactly_the_window_it_asked_for(fake: FakeGraph,
                                                           tmp_path: Path) -> None:
    fake.page_cap = 2
    at = NOW - timedelta(days=3)
    ids = [fake.mailbox.add_event(at + timedelta(days=i)) for i in range(5)]
    store = Store()
    old = EventRecord("ancient", start=NOW - timedelta(days=400))  # before the window
    store["ancient"] = old
    pages = list(calendar(fake, tmp_path, lookback_days=30).pages(None))
    assert listings(pages) == [(0, window(pages[-1].cursor))]
    lo, hi = window(pages[-1].cursor).start, window(pages[-1].cursor).end
    assert (lo, hi) == (datetime(2025, 2, 8, tzinfo=UTC), datetime(2025, 5, 9, tzinfo=UTC))
    asked = [parse_qs(urlsplit(t).query) for _, t in fake.requests if "calendarView" in t][0]
    assert asked["startDateTime"] == ["2025-02-08T00:00:00Z"]
    assert asked["endDateTime"] == ["2025-05-09T00:00:00Z"]
    cursor = store.apply(pages)
    assert set(store) == {*ids, "ancient"}  # older meetings outside the window stay
    assert listings(list(calendar(fake, tmp_path, lookback_days=30).pages(cursor))) == []


@pytest.mark.parametrize("expiry", ["410", "syncStateNotFound"])
def test_expired_token_relists_the_window(fake: FakeGraph, tmp_path: Path, expiry: str) -> None:
    fake.expiry, fake.page_cap = expiry, 2
    ids = [fake.mailbox.add_event(NOW + timedelta(days=i)) for i in range(5)]
    store = Store()
    cursor = store.apply(calendar(fake, tmp_path).pages(None))
    fake.mailbox.expire_tokens()
    fake.mailbox.delete_event(ids[0])
    fake.mailbox.events.pop(ids[1])  # unlogged: only a listing can tell
    new = fake.mailbox.add_event(NOW + timedelta(days=9))
    pages = list(calendar(fake, tmp_path).pages(cursor))
    assert listings(pages) == [(0, window(pages[-1].cursor))]
    store.apply(pages, cursor)
    assert set(store) == {*ids[2:], new} == set(fake.mailbox.events)
    assert store.forgotten == {ids[0], ids[1]}


def test_moved_window_is_listed_after_catching_up(fake: FakeGraph, tmp_path: Path) -> None:
    first = fake.mailbox.add_event(NOW + timedelta(days=5))
    second = fake.mailbox.add_event(NOW + timedelta(days=6))
    store = Store()
    cursor = store.apply(calendar(fake, tmp_path, lookback_days=30).pages(None))
    fake.mailbox.events.pop(first)  # unlogged
    later = NOW + timedelta(days=10)
    pages = list(calendar(fake, tmp_path, later, lookback_days=30).pages(cursor))
    moved = window(pages[-1].cursor)
    assert moved.start == datetime(2025, 2, 18, tzinfo=UTC)
    assert [listing for _, listing in listings(pages)] == [moved]
    store.apply(pages, cursor)
    assert set(store) == {second}


def test_meeting_cancelled_by_its_organiser_is_gone(fake: FakeGraph, tmp_path: Path) -> None:
    keep = fake.mailbox.add_event(NOW + timedelta(days=1), attendees=[person("a@x.example")])
    off = fake.mailbox.add_event(NOW + timedelta(days=2), attendees=[person("b@x.example")])
    store = Store()
    cursor = store.apply(calendar(fake, tmp_path).pages(None))
    fake.mailbox.change_event(off, isCancelled=True)  # Graph keeps it, marked cancelled
    pages = list(calendar(fake, tmp_path).pages(cursor))
    assert off in {g for p in pages for g in p.gone}
    assert not any(r.source_id == off for p in pages for r in p.records)
    store.apply(pages, cursor)
    assert set(store) == {keep}


@pytest.mark.parametrize("silently", [False, True])
def test_series_ended_early_drops_its_later_occurrences(fake: FakeGraph, tmp_path: Path,
                                                        silently: bool) -> None:
    ids = weekly(fake, NOW - timedelta(days=14), 8)
    other = fake.mailbox.add_event(NOW + timedelta(days=3))
    store = Store()
    cursor = store.apply(calendar(fake, tmp_path).pages(None))
    cut = fake.mailbox.end_series("AAMkMaster", NOW, silently=silently)
    assert len(cut) == 6
    pages = list(calendar(fake, tmp_path).pages(cursor))
    store.apply(pages, cursor)
    assert set(store) == {*ids[:2], other} == set(fake.mailbox.events)
    if silently:  # no sign of the removed ones: the changed series makes the window relisted
        assert [i for i, _ in listings(pages)] != []
    else:
        assert set(cut) <= {g for p in pages for g in p.gone}


def test_series_relist_survives_a_stop_mid_round(fake: FakeGraph, tmp_path: Path) -> None:
    ids = weekly(fake, NOW - timedelta(days=14), 8)
    store = Store()
    cursor = store.apply(calendar(fake, tmp_path).pages(None))
    fake.mailbox.end_series("AAMkMaster", NOW, silently=True)
    fake.page_cap = 1  # the series' remaining occurrences come on two pages
    pages = calendar(fake, tmp_path).pages(cursor)
    first = next(pages)
    pages.close()  # the process stops after the delta round's first page
    cursor = store.apply([first], cursor)
    assert cursor is not None and json.loads(cursor)["relist"] == "1"
    store.apply(calendar(fake, tmp_path).pages(cursor), cursor)
    assert set(store) == set(ids[:2]) == set(fake.mailbox.events)
