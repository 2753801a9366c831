"""Access tokens against the fake token endpoint: refreshed early enough but not before every
request, and a busy or unreachable endpoint retried like any transient error (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from connectors.errors import SourceUnavailable

from fakes.google_fixtures import Waits, gmail
from fakes.google_server import FakeGoogle


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        for i in range(120):
            g.mail.add(g.now - timedelta(hours=i))
        yield g


@pytest.mark.parametrize("lifetime", [120, 299, 3599])
def test_a_token_is_refreshed_once_per_lifetime(fake: FakeGoogle, tmp_path: Path,
                                                 lifetime: int) -> None:
    fake.token_lifetime = lifetime
    with time_machine.travel(fake.now, tick=False) as clock:
        src = gmail(fake, tmp_path)
        src.batch_size = 20
        pages = src.pages(None)
        next(pages)
        assert fake.token_calls == 1
        next(pages)
        assert fake.token_calls == 1  # still fresh: no refresh before every request
        margin = min(300, lifetime / 2)
        clock.shift(lifetime - margin + 1)
        list(pages)
        assert fake.token_calls == 2


@pytest.mark.parametrize("fault", [502, 503, 500, 0])
def test_a_busy_token_endpoint_is_retried(fake: FakeGoogle, tmp_path: Path, fault: int) -> None:
    fake.token_faults = [fault, fault]
    waits = Waits()
    pages = list(gmail(fake, tmp_path, waits).pages(None))
    assert sum(len(p.records) for p in pages) == 120
    assert fake.token_calls == 3
    assert len(waits) == (1 if fault == 0 else 2)  # httplib2 resends once on a dropped line


def test_a_token_endpoint_that_stays_busy_names_its_status(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    fake.token_faults = [502] * 20
    with pytest.raises(SourceUnavailable, match="HTTP 502 from Google's token endpoint"):
        list(gmail(fake, tmp_path).pages(None))
