"""The systemd user unit: rendered for this installation, installed and removed, and valid for
``systemd-analyze verify`` (run when systemd-analyze exists; apt package ``systemd``)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import daemon.cli
from daemon import config as config_mod
from daemon.service import unit as service

ROOT = Path(__file__).parents[3]


def unit_sections(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


def test_the_template_is_a_sandboxed_notify_service() -> None:
    unit = unit_sections((ROOT / "systemd" / "keepwarm.service").read_text())
    s = unit["Service"]
    assert s["Type"] == "notify" and s["Restart"] == "on-failure" and s["WatchdogSec"]
    assert s["NoNewPrivileges"] == s["PrivateTmp"] == "yes" and s["ProtectSystem"] == "strict"
    assert s["ExecStart"].endswith(" run") and "%E/keepwarm" in s["ReadWritePaths"]
    assert unit["Install"]["WantedBy"] == "default.target"
    assert "Environment=MALLOC_ARENA_MAX=2" in (ROOT / "systemd" / "keepwarm.service").read_text()


def test_render_fills_in_this_installation(tmp_path: Path) -> None:
    text = f'[delivery]\nmethod = "file"\nfolder = "{tmp_path / "mail"}"\n'
    config = config_mod.parse(text, tmp_path / "config.toml")
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    unit = unit_sections(service.render("/opt/kw/bin/keepwarm", config, env))
    s = unit["Service"]
    assert s["ExecStart"] == "/opt/kw/bin/keepwarm run"
    paths = s["ReadWritePaths"].split()
    assert f"-{tmp_path / 'mail'}" in paths  # the .eml folder stays writable
    assert any(p.endswith("/keepwarm") for p in paths)
    assert s["Environment"] == f'"XDG_STATE_HOME={tmp_path / "state"}"'


def test_install_and_uninstall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    target = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user" / "keepwarm.service"
    assert daemon.cli.main(["service", "install"]) == 0
    out = capsys.readouterr().out
    assert str(target) in out
    assert "systemctl --user daemon-reload" in out
    assert "systemctl --user enable --now keepwarm" in out
    exec_start = unit_sections(target.read_text())["Service"]["ExecStart"]
    assert exec_start == f"{service.command()} run"
    assert Path(exec_start.split()[0]).is_absolute()
    assert daemon.cli.main(["service", "uninstall"]) == 0
    assert not target.exists()
    assert daemon.cli.main(["service", "uninstall"]) == 0
    assert "not installed" in capsys.readouterr().out


def test_command_falls_back_to_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/somewhere/cli.py"])
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert service.command() == f"{sys.executable} -m daemon.cli"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not installed (apt-get install systemd)")
def test_the_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = tmp_path / "keepwarm.service"
    exe = tmp_path / "keepwarm"  # verify checks that ExecStart's binary exists
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    unit.write_text(service.render(str(exe), None, {}))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"}
    result = subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0 and "Failed to initialize manager" in result.stderr:
        result = subprocess.run(["systemd-analyze", "verify", str(unit)], env=env,
                                capture_output=True, text=True, timeout=60, check=False)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "keepwarm.service" in line]
    assert result.returncode == 0 and problems == [], result.stdout + result.stderr


def test_a_config_given_at_install_time_is_passed_on(tmp_path: Path) -> None:
    cfg = tmp_path / "conf" / "kw.toml"
    unit = unit_sections(service.render("/opt/kw/bin/keepwarm", None, {}, config_path=cfg))
    assert unit["Service"]["ExecStart"] == f"/opt/kw/bin/keepwarm --config {cfg} run"
    assert f"-{cfg.parent}" in unit["Service"]["ReadWritePaths"].split()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not installed (apt-get install systemd)")
def test_the_unit_renamed_as_a_template_runs_instances(tmp_path: Path) -> None:
    """README, "Running Keepwarm for a team": several replicas on one host are the installed
    unit renamed keepwarm@.service and started as keepwarm@1, keepwarm@2..."""
    exe = tmp_path / "keepwarm"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    (tmp_path / "keepwarm@.service").write_text(
        service.render(str(exe), None, {}, config_path=tmp_path / "team.toml"))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_LOG_LEVEL": "notice"}
    result = subprocess.run(["systemd-analyze", "--user", "verify",
                             str(tmp_path / "keepwarm@2.service")], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0 and "Failed to initialize manager" in result.stderr:
        result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "keepwarm@2.service")],
                                env=env, capture_output=True, text=True, timeout=60, check=False)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "keepwarm@" in line]
    assert result.returncode == 0 and problems == [], result.stdout + result.stderr
