"""Shared fixtures: a temporary store and config, and the fakes folder on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test reads or writes the real ~/.config or ~/.local/state."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("KEEPWARM_CONFIG", raising=False)
    yield home


@pytest.fixture
def store(tmp_path: Path):
    from daemon.store import Store

    s = Store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.dispose()
