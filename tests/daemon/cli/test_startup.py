"""Start-up stays light: building the whole command line, and ``--help``/``--version``, load
none of the heavy libraries; each command loads them when it runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]
HEAVY = ("sqlalchemy", "alembic", "pydantic", "numpy", "googleapiclient", "google.auth", "msal",
         "apscheduler", "jinja2", "httpx", "tenacity", "icalendar")

PROBE = """
import sys
from daemon.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = [m for m in {heavy!r} if m in sys.modules]
print("HEAVY=" + ",".join(heavy))
"""


def _loaded(*argv: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(heavy=heavy), *argv], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("HEAVY="))
    return [m for m in line.removeprefix("HEAVY=").split(",") if m]


def test_version_and_help_load_no_heavy_library():
    assert _loaded("--version") == []
    assert _loaded("--help") == []
    assert _loaded("report", "--help") == []
    assert _loaded("sync", "--help") == []


def test_help_and_version_do_not_load_rich_either():
    for argv in (["--version"], ["--help"], ["status", "--help"]):
        assert _loaded(*argv, heavy=("rich", "logging", "connectors.base", "zoneinfo")) == []


def test_a_command_loads_what_it_needs(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n')
    loaded = _loaded("--config", str(config), "status")
    assert "sqlalchemy" in loaded and "pydantic" in loaded
    assert "numpy" not in loaded  # status needs no model
    assert "alembic" not in loaded  # the new store was created at the head in one step
    again = _loaded("--config", str(config), "status")
    assert "alembic" not in again  # a current store is only checked
