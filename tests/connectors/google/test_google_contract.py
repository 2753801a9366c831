"""Gmail and Google Calendar sources pass the same contract as every other source."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from contract.suite import SourceContract, Upstream
from fakes.google_fixtures import calendar, gmail
from fakes.google_server import FakeGoogle


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        yield g


class TestGmailContract(SourceContract):
    @pytest.fixture
    def upstream(self, fake: FakeGoogle, tmp_path: Path) -> Upstream:
        for i in range(130):  # three list pages of fifty-message batches
            fake.mail.add(fake.now - timedelta(hours=i))
        return Upstream(lambda: gmail(fake, tmp_path), fake.mail.delete)

    @pytest.fixture
    def empty(self, fake: FakeGoogle, tmp_path: Path) -> Upstream:
        return Upstream(lambda: gmail(fake, tmp_path))


class TestGoogleCalendarContract(SourceContract):
    @pytest.fixture
    def upstream(self, fake: FakeGoogle, tmp_path: Path) -> Upstream:
        me = {"email": "me@example.com", "self": True, "responseStatus": "accepted"}
        bob = {"email": "bob@example.org", "responseStatus": "accepted"}
        for i in range(12):
            fake.calendars["primary"].add(f"e{i}", fake.now - timedelta(days=i),
                                          attendees=[me, bob])

        def make():  # small pages, so that resuming from the middle is exercised
            src = calendar(fake, tmp_path)
            src.page_size = 5
            return src

        return Upstream(make, fake.calendars["primary"].cancel)

    @pytest.fixture
    def empty(self, fake: FakeGoogle, tmp_path: Path) -> Upstream:
        return Upstream(lambda: calendar(fake, tmp_path))
