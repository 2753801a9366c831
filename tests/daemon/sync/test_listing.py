"""The store forgets what a stream no longer names: completed listings reconcile, a listing cut
short forgets nothing, records that now mean nothing take their old touchpoints, a re-listed
series replaces its occurrences, and one stream's failure leaves the others running."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import select
from test_engine import ME, config, counts, engine, msg

from connectors.base import Attendee, EventRecord, Listing, Page, Series, Source
from connectors.errors import AuthExpired, CursorExpired, SourceUnavailable
from daemon.store.models import Contact, ItemSource, Stream, Touchpoint

from fakes.memory import MemorySource


def stored(store) -> set[str]:
    with store.session() as s:
        return set(s.execute(select(ItemSource.source_id)).scalars())


class Relisting(MemorySource):
    """A memory source whose cursor expires on demand, as Gmail's history id does."""

    expire = False

    def pages(self, cursor: str | None) -> Iterator[Page]:
        if cursor is not None and self.expire:
            self.expire = False
            raise CursorExpired("history id too old")
        yield from super().pages(cursor)


def test_a_full_resync_forgets_what_the_listing_no_longer_names(store):
    records = [msg(i, f"p{i}@x.com", ME) for i in range(6)]
    src = Relisting("a/mail", records, page_size=2)
    eng = engine(store, config("a"), {"a": lambda: [src]})
    eng.sync()
    src.records = [r for r in records if r.source_id not in {"s1", "s4"}]  # deleted unseen
    eng.sync()
    assert stored(store) == {f"s{i}" for i in range(6)}  # the incremental path cannot know
    src.expire = True
    [result] = eng.sync()
    assert stored(store) == {"s0", "s2", "s3", "s5"}
    assert result.streams[0].forgotten == 2
    assert counts(store)[:2] == (4, 4)


def test_a_listing_cut_short_forgets_nothing_until_it_completes(store):
    records = [msg(i, f"p{i}@x.com", ME) for i in range(6)]
    src = MemorySource("a/mail", records, page_size=2)
    eng = engine(store, config("a"), {"a": lambda: [src]})
    eng.sync()
    src.records = records[2:]  # s0, s1 deleted upstream
    with store.transaction() as s:
        s.execute(select(Stream)).scalar_one().cursor = None
    stop = threading.Event()
    eng.stop = stop
    eng.progress.advance = lambda *a: stop.set()  # stop after the first committed page
    eng.sync()
    assert stored(store) == {f"s{i}" for i in range(6)}
    with store.session() as s:
        assert s.execute(select(Stream.listing_open)).scalar_one()
    stop.clear()
    eng.progress.advance = lambda *a: None
    eng.sync()  # resumes the same listing from its cursor, completes it
    assert stored(store) == {f"s{i}" for i in range(2, 6)}


class Windowed(Source):
    """Lists one window, naming some ids without re-reading them."""

    def __init__(self, key: str, records: list, listed: tuple[str, ...], window: Listing):
        self.key, self.records, self.listed, self.window = key, records, listed, window

    def pages(self, cursor: str | None) -> Iterator[Page]:
        yield Page(tuple(self.records), (), "1", listing=self.window, listed=self.listed)


def test_a_listing_forgets_only_inside_its_window_and_keeps_what_it_lists(store):
    records = [msg(i, f"p{i}@x.com", ME) for i in range(1, 7)]  # 2 to 7 January 2024
    eng = engine(store, config("a"), {"a": lambda: [MemorySource("a/mail", records)]})
    eng.sync()
    window = Listing(datetime(2024, 1, 3, tzinfo=UTC), datetime(2024, 1, 7, tzinfo=UTC))
    relist = Windowed("a/mail", [records[2]], ("s4",), window)  # s3 re-read, s4 named
    engine(store, config("a"), {"a": lambda: [relist]}).sync()
    # s1 (2 Jan) and s6 (7 Jan) lie outside the window; s2 and s5 inside, not named
    assert stored(store) == {"s1", "s3", "s4", "s6"}


def meeting(sid: str, day: int, response: str = "accepted", uid: str = "series") -> EventRecord:
    return EventRecord(source_id=sid, uid=uid, occurrence=datetime(2024, 3, day, 9, tzinfo=UTC),
                       start=datetime(2024, 3, day, 9, tzinfo=UTC),
                       attendees=(Attendee(ME, is_self=True, response=response),
                                  Attendee("carol@c.com", "Carol")))


def test_a_record_that_now_means_nothing_takes_its_old_touchpoints(store):
    src = MemorySource("a/calendar", [meeting("e1", 1), meeting("e2", 2)])
    eng = engine(store, config("a"), {"a": lambda: [src]})
    eng.sync()
    src.records = [meeting("e2", 2), meeting("e1", 1, response="declined")]
    with store.transaction() as s:
        s.execute(select(Stream)).scalar_one().cursor = "1"  # the change arrives incrementally
    eng.sync()
    assert stored(store) == {"e2"}
    assert counts(store)[:2] == (1, 1)


class SeriesPage(Source):
    def __init__(self, records: list, series: tuple[Series, ...]) -> None:
        self.key, self.records, self.series = "a/calendar", records, series

    def pages(self, cursor: str | None) -> Iterator[Page]:
        yield Page(tuple(self.records), (), "s", series=self.series)


def test_a_series_listed_in_full_replaces_its_stored_occurrences(store):
    weekly = [meeting(f"w{d}", d) for d in (1, 8, 15, 22, 29)]
    other = meeting("o1", 15, uid="other")
    engine(store, config("a"), {"a": lambda: [MemorySource("a/calendar", [*weekly, other])]}
           ).sync()
    ended = SeriesPage(weekly[:2], (Series("series", datetime(2024, 3, 1, tzinfo=UTC)),))
    engine(store, config("a"), {"a": lambda: [ended]}).sync()
    assert stored(store) == {"w1", "w8", "o1"}


class Failing(Source):
    def __init__(self, key: str, exc: Exception) -> None:
        self.key, self.exc = key, exc

    def pages(self, cursor: str | None) -> Iterator[Page]:
        raise self.exc
        yield Page()


def test_one_failing_stream_leaves_the_accounts_other_streams_running(store):
    cal = MemorySource("a/calendar", [meeting("e1", 1)])
    for exc in (SourceUnavailable("Gmail said 500"), RuntimeError("a bug")):
        [result] = engine(store, config("a"), {"a": lambda e=exc: [Failing("a/mail", e), cal]}
                          ).sync()
        assert result.status == "error" and result.error.startswith("a/mail: ")
        assert [s.key for s in result.streams] == ["a/mail", "a/calendar"]
        assert result.streams[1].complete
    assert stored(store) == {"e1"}


def test_a_credential_failure_stops_every_stream_of_the_account(store):
    cal = MemorySource("a/calendar", [meeting("e1", 1)])
    [result] = engine(store, config("a"), {
        "a": lambda: [Failing("a/mail", AuthExpired("revoked", hint="keepwarm auth a")), cal]}
    ).sync()
    assert result.status == "needs_reauth"
    assert stored(store) == set()


def test_over_long_text_fits_its_columns_on_every_backend(store):
    name = "N" * 400
    mid = "<" + "m" * 700 + "@x>"
    rec = msg(1, f'"{name}" <long@x.com>', ME, mid=mid)
    far = msg(2, "x" * 400 + "@y.com", ME)  # too long to be an address
    src = MemorySource("a/mail", [rec, far], page_size=5)
    for _ in range(2):  # idempotent: the fitted keys are the same every time
        [result] = engine(store, config("a"), {"a": lambda: [src]}).sync()
        assert result.status == "ok", result.error
    with store.session() as s:
        names = s.execute(select(Contact.display_name)).scalars().all()
        assert [len(n) for n in names] == [256]
        assert s.execute(select(Touchpoint)).scalars().all()
