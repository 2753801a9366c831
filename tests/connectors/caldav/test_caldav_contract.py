"""The CalDAV source passes the contract every source passes, against a real Radicale."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contract.suite import SourceContract, Upstream
from helpers.radicale import NOW, Radicale, fresh, source, vevent


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
