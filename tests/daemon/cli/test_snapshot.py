"""The quick commands read a config validated before from its snapshot (no pydantic), and
validate it again whenever anything it depends on changed, so mistakes are still reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.cli import main, snapshot
from daemon.cli.context import Context
from daemon.paths import state_home

ROOT = Path(__file__).parents[3]
PROBE = """
import sys
from daemon.cli import main
code = main(sys.argv[1:])
print("LOADED=" + ",".join(m for m in ("pydantic", "sqlalchemy") if m in sys.modules), code)
"""


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n[report]\n'
                      f'weekday = "tue"\n[[accounts]]\nname = "arch"\nkind = "mbox"\n'
                      f'path = "{tmp_path}/a.mbox"\n{extra}', encoding="utf-8")
    return config


def _probe(config: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE, "--config", str(config), *argv],
                          cwd=ROOT, capture_output=True, text=True)


def test_an_unchanged_config_is_not_validated_again(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert _probe(config, "status").stdout.splitlines()[-1] == "LOADED=pydantic,sqlalchemy 0"
    for argv in (["status"], ["contacts"], ["snooze"], ["snooze", "a@b.org", "2w"]):
        assert _probe(config, *argv).stdout.splitlines()[-1] == "LOADED= 0"


def test_a_mistake_made_after_the_snapshot_is_still_reported(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert _probe(config, "status").returncode == 0
    config.write_text(config.read_text() + "[daemon]\nsync_interval = \"soon\"\n")
    done = _probe(config, "contacts")
    assert done.stdout.splitlines()[-1] == "LOADED=pydantic 2"
    assert f"{config}:10: daemon.sync_interval:" in done.stderr


def test_the_snapshot_holds_what_the_config_says(tmp_path: Path) -> None:
    config = _config(tmp_path)
    full = Context(config).settings  # validated, then kept
    kept = snapshot.read(config)
    assert kept == full == snapshot.Settings.of(Context(config).config)
    assert kept.accounts == ("arch",) and kept.report.weekday == "tue"
    assert kept.store_url == f"sqlite:///{tmp_path / 'kw.db'}"


def test_the_key_follows_the_file_its_place_and_the_state_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path)
    text = config.read_text()
    base = snapshot.key(config, text)
    assert snapshot.key(config, text + "\n") != base
    assert snapshot.key(tmp_path / "other.toml", text) != base
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "elsewhere"))
    assert snapshot.key(config, text) != base


def test_a_server_url_is_never_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[store]\nurl = "postgresql+psycopg://kw:secret@127.0.0.1:1/kw"\n')
    Context(config).settings  # noqa: B018 - validated, not kept
    assert not (state_home() / snapshot.FILE).exists()
    _config(tmp_path)
    assert main(["--config", str(config), "snooze"]) == 0
    assert "secret" not in json.dumps(json.loads((state_home() / snapshot.FILE).read_text()))
