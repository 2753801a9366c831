"""Test the promises: dependency direction, documented config keys, documented commands, and CI
running exactly the README's test command."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

from connectors import settings
from daemon import config
from daemon.cli import parser
from daemon.config import team

ROOT = Path(__file__).parent.parent


def test_connectors_never_import_daemon():
    for path in (ROOT / "connectors").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n == "daemon" or n.startswith("daemon.") for n in names), path


def _fields(model: type[BaseModel]) -> set[str]:
    return {n for n in model.model_fields if n != "path" or model is not config.Config}


def test_every_config_key_is_in_the_example():
    example = (ROOT / "config" / "keepwarm.example.toml").read_text()
    written = set(re.findall(r"^[#\s]*([a-z_]+)\s*=", example, re.M))
    sections = set(re.findall(r"^\[\[?([a-z_]+)\]\]?", example, re.M))
    commented = set(re.findall(r"^#\s*\[\[?([a-z_.]+)\]\]?", example, re.M))
    models: list[type[BaseModel]] = [
        m for m in vars(config).values()
        if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == config.__name__
        and m is not config.Config and not m.__name__.startswith("_")]
    models += [m for m in vars(settings).values() if isinstance(m, type)
               and issubclass(m, BaseModel) and m.__name__.endswith("Account")]
    missing = {f"{m.__name__}.{f}" for m in models for f in _fields(m) if f not in written}
    assert not missing, f"undocumented config keys: {sorted(missing)}"
    top = set(config.Config.model_fields) - {"path", "member"}  # member: set by the team merge
    assert top <= sections | {s.split(".")[0] for s in commented}


def test_every_team_key_is_in_the_example():
    example = (ROOT / "config" / "keepwarm.example.toml").read_text()
    written = set(re.findall(r"^[#\s]*([a-z_]+)\s*=", example, re.M))
    tables = set(re.findall(r"^[#\s]*\[\[?([a-z_.]+)\]\]?", example, re.M))
    sections = {"accounts", "report", "delivery", "ignore", "people"}
    member = set(team.MemberTable.model_fields)
    missing = {f"members.{k}" for k in member & sections if f"members.{k}" not in tables}
    missing |= {f"members.{k}" for k in member - sections if k not in written}
    missing |= {f"organisation.{k}" for k in team.OrganisationSettings.model_fields
                if f"organisation.{k}" not in tables}
    assert not missing, f"undocumented team keys: {sorted(missing)}"



def _commands() -> list[str]:
    out = []
    sub = next(a for a in parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():  # type: ignore[union-attr]
        inner = [a for a in p._actions if a.__class__.__name__ == "_SubParsersAction"]
        out += [f"keepwarm {name} {n}" for n in inner[0].choices] if inner else [f"keepwarm {name}"]
    return out


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [c for c in _commands() if c not in readme]
    assert not missing, f"commands missing from README: {missing}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_cli_help_runs():
    out = subprocess.run([sys.executable, "-m", "daemon.cli", "--help"], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    assert "keepwarm" in out.stdout
