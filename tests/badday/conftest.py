"""The "bad day" suite: the real ``keepwarm`` CLI, run as a subprocess against one fault each.

Every test here asserts the same promise, through :func:`BadDay.fails` : the command exits 1
or 2, says so in one or two lines on stderr (the error, then its hint), never prints a
``Traceback``, and the hint is the right one for that fault.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


@dataclass
class BadDay:
    """A private home for one test: config file, state and config folders, environment."""

    home: Path
    config: Path
    env: dict[str, str]

    def write_config(self, text: str) -> Path:
        self.config.write_text(text, encoding="utf-8")
        self.config.chmod(0o600)
        return self.config

    def run(self, *args: str, timeout: float = 60, env: dict[str, str] | None = None
            ) -> Outcome:
        """``keepwarm --config CONFIG ARGS...`` as a user runs it."""
        proc = subprocess.run(
            [sys.executable, "-m", "daemon.cli", "--config", str(self.config), *args],
            cwd=ROOT, env={**self.env, **(env or {})}, capture_output=True, text=True,
            timeout=timeout)
        return Outcome(proc.returncode, proc.stdout, proc.stderr)

    def fails(self, *args: str, hint: str, code: int | tuple[int, ...] = (1, 2),
              says: str = "", timeout: float = 60, env: dict[str, str] | None = None
              ) -> Outcome:
        """Run ``args`` and assert the bad-day promise; returns the outcome for more checks."""
        out = self.run(*args, timeout=timeout, env=env)
        codes = (code,) if isinstance(code, int) else code
        assert out.code in codes, (out.code, out.stdout, out.stderr)
        assert "Traceback" not in out.stderr + out.stdout, out.stderr
        lines = [line for line in out.stderr.splitlines() if line.strip()]
        assert 1 <= len(lines) <= 2, out.stderr
        assert hint.lower() in out.stderr.lower(), out.stderr
        assert says.lower() in out.stderr.lower(), out.stderr
        return out


@pytest.fixture
def bad_day(tmp_path: Path) -> BadDay:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "PYTHONPATH": str(ROOT),
        "LANG": "C.UTF-8",
    }
    return BadDay(home, tmp_path / "config.toml", env)
