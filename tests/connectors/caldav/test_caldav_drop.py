"""A CalDAV server that goes away in the middle of a first sync (its process killed, as a
crash or restart would): the pass fails as unavailable, and the next pass, from the last page's
cursor against the server back up, leaves the store as a clean sync does."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connectors.caldav import source as caldav_source
from connectors.caldav.dav import DavClient
from connectors.caldav.source import CalDavSource
from connectors.errors import SourceUnavailable

from contract.suite import apply, drain
from helpers import servers
from helpers.radicale import NOW, PASSWORD, USER, Radicale, start, vevent


def pass_over(server: Radicale, cal: str) -> CalDavSource:
    connect = lambda: DavClient(server.url, USER, PASSWORD, ca_file=None,  # noqa: E731
                                account="t", sleep=lambda _: None)  # retries without waiting
    return CalDavSource("t/calendar", connect, (cal,), 60, lambda: NOW, page_size=2)


def test_a_server_killed_mid_sync_resumes_to_the_clean_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = start(tmp_path)
    if server is None:
        servers.missing("Radicale is not installed (pip install -e '.[dev]' brings it)")
    monkeypatch.setattr(caldav_source, "MULTIGET_CHUNK", 2)  # a request per two members
    server.make_calendar("work")
    for i in range(8):
        server.put_event("work", f"e{i}.ics", vevent(f"e{i}", NOW - timedelta(days=i + 1),
                                                     f"ATTENDEE:mailto:p{i}@x.org\r\n"))
    passes = pass_over(server, "work").pages(None)
    pages = [next(passes)]
    server.stop()  # killed between two multigets
    with pytest.raises(SourceUnavailable):
        pages.extend(passes)
    store = apply({}, pages)
    assert 0 < len(store) < 8
    again = start(tmp_path)  # the same collections, a new port
    assert again is not None
    try:
        rest = drain(pass_over(again, "work"), pages[-1].cursor)
        assert apply(store, rest) == apply({}, drain(pass_over(again, "work")))
        assert len(store) == 8
    finally:
        again.stop()
