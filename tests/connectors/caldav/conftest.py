"""One Radicale server for the whole CalDAV test session (skipped when Radicale is missing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import servers
from helpers.radicale import Radicale, self_signed, start


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = start(tmp_path_factory.mktemp("radicale"))
    if server is None:
        servers.missing("Radicale is not installed (pip install -e '.[dev]' brings it)")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def radicale_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Radicale, Path]]:
    """A Radicale over TLS with a self-signed certificate, and that certificate."""
    root = tmp_path_factory.mktemp("radicale-tls")
    cert = self_signed(root)
    if cert is None:
        servers.missing("openssl is missing: no test certificate")
    server = start(root, cert)
    if server is None:
        servers.missing("Radicale is not installed (pip install -e '.[dev]' brings it)")
    yield server, cert
    server.stop()
