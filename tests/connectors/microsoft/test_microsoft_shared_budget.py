"""Every Graph request of a mailbox first passes the app's shared budget (``Env.throttle``,
which the daemon fills with a token bucket in the store), keyed by tenant and client id."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors import microsoft

from fakes.graph_fixtures import Waits, account, env, running_fake, sign_in
from fakes.graph_server import FakeGraph


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    with running_fake(tmp_path, monkeypatch) as g:
        sign_in(g, tmp_path / "state")
        yield g


def test_each_graph_request_takes_from_the_apps_budget(fake: FakeGraph, tmp_path: Path) -> None:
    taken: list[str] = []
    for i in range(3):
        fake.mailbox.add_message("inbox", f"p{i}@example.com")
    shared = dataclasses.replace(env(tmp_path / "state"), throttle=taken.append)
    built = microsoft.build(account(fake), shared, sleep=Waits())
    pages = list(next(s for s in built if s.key == "work/mail").pages(None))
    assert sum(len(p.records) for p in pages) == 3
    graph = [p for _, p in fake.requests if p.startswith("/v1.0")]
    assert graph and len(taken) == len(graph)
    assert set(taken) == {f"graph:common:{fake.identity.client_id}"}
