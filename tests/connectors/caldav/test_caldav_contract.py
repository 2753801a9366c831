"""The CalDAV source passes the contract every source passes, against a real Radicale."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from connectors.caldav.dav import DavClient
from connectors.caldav.source import CalDavSource

from contract.suite import SourceContract, Upstream
from helpers.radicale import PASSWORD, USER, Radicale

NOW = datetime(2024, 3, 1, tzinfo=UTC)


def vevent(uid: str, start: datetime, extra: str = "") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//keepwarm tests//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
            f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
            "ORGANIZER;CN=Bob:mailto:bob@x.org\r\n"
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@y.org\r\n"
            f"{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")


def source(server: Radicale, calendar: str, page_size: int = 1000,
           password: str = PASSWORD, now: datetime = NOW) -> CalDavSource:
    """A source over one calendar of the test server, with a frozen clock."""
    return CalDavSource(
        "t/calendar",
        lambda: DavClient(server.url, USER, password, ca_file=None, account="t"),
        (calendar,), 60, lambda: now, page_size)


def fresh(server: Radicale) -> str:
    name = f"c-{uuid.uuid4().hex[:10]}"
    server.make_calendar(name)
    return name


class TestCalDavContract(SourceContract):
    """Ten single events and a weekly series of five, pages of four records."""

    @pytest.fixture
    def upstream(self, radicale: Radicale) -> Upstream:
        cal = fresh(radicale)
        for i in range(10):
            radicale.put_event(cal, f"e{i}.ics", vevent(f"e{i}", NOW - timedelta(days=i + 1)))
        radicale.put_event(cal, "w.ics", vevent("w", NOW - timedelta(days=40),
                                                "RRULE:FREQ=WEEKLY;COUNT=5\r\n"))

        def delete(source_id: str) -> None:  # CALENDAR/MEMBER:UID:OCCURRENCE
            radicale.delete(source_id.partition(":")[0] )

        return Upstream(lambda: source(radicale, cal, page_size=4), delete)

    @pytest.fixture
    def empty(self, radicale: Radicale) -> Upstream:
        cal = fresh(radicale)
        return Upstream(lambda: source(radicale, cal, page_size=4))
