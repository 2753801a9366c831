"""Outlook mail and calendar sources pass the same contract as every other source, against the
fake Graph on loopback (TLS) through real msal and httpx."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract.suite import SourceContract, Upstream
from fakes.graph_fixtures import Waits, running_fake, sign_in, sources
from fakes.graph_server import FakeGraph


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    with running_fake(tmp_path, monkeypatch) as g:
        sign_in(g, tmp_path / "state")
        g.page_cap = 4  # several pages per folder round
        yield g


def stream(fake: FakeGraph, tmp_path: Path, name: str,
           delete: Callable[[str], None] | None = None) -> Upstream:
    return Upstream(lambda: sources(fake, tmp_path / "state", Waits())[name], delete)


class TestGraphMailContract(SourceContract):
    @pytest.fixture
    def upstream(self, fake: FakeGraph, tmp_path: Path) -> Upstream:
        for folder in ("inbox", "archive", "sentitems"):
            for i in range(9):
                fake.mailbox.add_message(folder, f"p{i}@example.com")
        return stream(fake, tmp_path, "mail", fake.mailbox.delete)

    @pytest.fixture
    def empty(self, fake: FakeGraph, tmp_path: Path) -> Upstream:
        return stream(fake, tmp_path, "mail")


class TestGraphCalendarContract(SourceContract):
    @pytest.fixture
    def upstream(self, fake: FakeGraph, tmp_path: Path) -> Upstream:
        at = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
        for i in range(10):
            fake.mailbox.add_event(at + timedelta(days=i))
        return stream(fake, tmp_path, "calendar", fake.mailbox.delete_event)

    @pytest.fixture
    def empty(self, fake: FakeGraph, tmp_path: Path) -> Upstream:
        return stream(fake, tmp_path, "calendar")
