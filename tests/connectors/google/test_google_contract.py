"""Gmail and Google Calendar sources pass the same contract as every other source."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from contract.suite import check_source
from fakes.google_fixtures import calendar, gmail
from fakes.google_server import FakeGoogle


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        yield g


def test_gmail_source_passes_the_contract(fake: FakeGoogle, tmp_path: Path) -> None:
    for i in range(130):
        fake.mail.add(fake.now - timedelta(hours=i))
    check_source(lambda: gmail(fake, tmp_path))


def test_calendar_source_passes_the_contract(fake: FakeGoogle, tmp_path: Path) -> None:
    me = {"email": "me@example.com", "self": True, "responseStatus": "accepted"}
    bob = {"email": "bob@example.org", "responseStatus": "accepted"}
    for i in range(12):
        fake.calendars["primary"].add(f"e{i}", fake.now - timedelta(days=i), attendees=[me, bob])

    def make():  # small pages, so that resuming from the middle is exercised
        src = calendar(fake, tmp_path)
        src.page_size = 5
        return src

    check_source(make)
