"""CI never passes by skipping a real-server test: with ``KEEPWARM_REQUIRE_SERVERS`` set, a
server that cannot be started fails the test instead (``.ci/run`` sets it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from fakes import dovecot, dovecot_fixtures
from helpers import servers

ROOT = Path(__file__).parent.parent


def test_missing_server_skips_locally(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(servers.REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no dovecot"):
        servers.missing("no dovecot")


def test_missing_server_fails_when_required(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(servers.REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match="no dovecot.*KEEPWARM_REQUIRE_SERVERS"):
        servers.missing("no dovecot")


def test_dovecot_fixture_fails_under_ci_when_dovecot_is_absent(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(servers.REQUIRE, "1")
    monkeypatch.setattr(dovecot, "available", lambda: False)
    fixture = dovecot_fixtures.server.__wrapped__  # type: ignore[attr-defined]
    with pytest.raises(pytest.fail.Exception, match="dovecot is not installed"):
        next(fixture())


def test_radicale_fixture_fails_under_ci_when_radicale_is_absent(
        monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    path = ROOT / "tests" / "connectors" / "caldav" / "conftest.py"
    spec = importlib.util.spec_from_file_location("caldav_conftest", path)
    assert spec and spec.loader
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    monkeypatch.setenv(servers.REQUIRE, "1")
    monkeypatch.setattr(conftest, "start", lambda *a, **k: None)
    with pytest.raises(pytest.fail.Exception, match="Radicale is not installed"):
        next(conftest.radicale.__wrapped__(tmp_path_factory))


def test_ci_requires_the_servers():
    assert f"export {servers.REQUIRE}=1" in (ROOT / ".ci" / "run").read_text()
