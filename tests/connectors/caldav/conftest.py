"""One Radicale server for the whole CalDAV test session (skipped when Radicale is missing)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers.radicale import Radicale, start


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = start(tmp_path_factory.mktemp("radicale"))
    if server is None:
        pytest.skip("Radicale is not installed (pip install -e '.[dev]' brings it)")
    yield server
    server.stop()
