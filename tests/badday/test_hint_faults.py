"""Bad days whose hint must be the right one: a Microsoft app registration that does not allow
public client flows, a sign-in host that is down. The real CLI, as a subprocess, against a
fake identity server (or a closed port) on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.badday.conftest import BadDay

from fakes.graph_server import FakeGraph
from fakes.graph_tls import make_tls


def microsoft_config(bad_day: BadDay, authority: str, graph: str) -> None:
    bad_day.write_config(
        '[me]\naddresses = ["me@example.com"]\n\n[[accounts]]\nname = "work"\n'
        'kind = "microsoft"\nclient_id = "11111111-2222-3333-4444-555555555555"\n'
        f'authority = "{authority}"\ngraph_endpoint = "{graph}"\n')


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port bound but never listening: every connection to it is refused, and no
    other process can take it while the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def graph(tmp_path: Path) -> Iterator[tuple[FakeGraph, dict[str, str]]]:
    """A TLS fake Graph and identity server, and the environment that trusts its CA."""
    ca, context = make_tls(tmp_path)
    fake = FakeGraph(context).start()
    try:
        yield fake, {"SSL_CERT_FILE": str(ca), "REQUESTS_CA_BUNDLE": str(ca)}
    finally:
        fake.stop()


def test_sign_in_with_public_client_flows_off_names_the_app_setting(
        bad_day: BadDay, graph: tuple[FakeGraph, dict[str, str]]) -> None:
    fake, trust = graph
    fake.identity.public_client = False
    microsoft_config(bad_day, fake.authority, fake.base)
    out = bad_day.fails("auth", "work", code=1, env=trust, says="AADSTS7000218",
                        hint="Authentication > Advanced settings > Allow public client flows = Yes")
    assert "KW7X-QP2M" in out.stdout  # the device code was shown; the refusal came after


def test_a_sign_in_host_that_is_down_is_one_line_and_a_hint(bad_day: BadDay,
                                                              closed_port: int) -> None:
    """urllib3's own "Retrying (Retry(total=0 ...)) after connection broken" warning once
    came first."""
    down = f"https://127.0.0.1:{closed_port}"
    microsoft_config(bad_day, f"{down}/contoso-tenant", down)
    out = bad_day.fails("auth", "work", code=1, says=f"127.0.0.1:{closed_port}",
                        hint="check the network")
    assert "unreachable" in out.stderr


def test_a_sync_with_the_sign_in_host_down_logs_no_urllib3_retry(bad_day: BadDay,
                                                                 closed_port: int) -> None:
    down = f"https://127.0.0.1:{closed_port}"
    microsoft_config(bad_day, f"{down}/contoso-tenant", down)
    out = bad_day.run("sync")
    assert out.code == 1 and "Traceback" not in out.stderr, out.stderr
    assert "Retrying" not in out.stderr and "urllib3" not in out.stderr, out.stderr
    assert f"127.0.0.1:{closed_port}" in out.stdout + out.stderr
