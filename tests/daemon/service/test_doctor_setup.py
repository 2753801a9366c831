"""``keepwarm doctor`` on what the template leaves to fill in (issue 12, the first five minutes)."""

from __future__ import annotations

from pathlib import Path

from daemon import config as config_mod
from daemon.service import doctor


def _config(tmp_path: Path, text: str) -> config_mod.Config:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return config_mod.load(path)


def test_placeholders_and_missing_paths_are_things_to_fix(tmp_path: Path) -> None:
    config = _config(tmp_path, '[me]\naddresses = ["me@example.com"]\n'
                     '[[accounts]]\nname = "a"\nkind = "maildir"\npath = "~/nowhere"\n')
    lines = [c.line() for c in doctor.setup_checks(config)]
    assert lines == [
        f"FIX  {config.path}:2: me.addresses[0]: 'me@example.com' is a placeholder: "
        "put your own address there",
        f"FIX  {config.path}:6: accounts[0].path: {str(Path.home() / 'nowhere')!r} does not "
        "exist: fix the path, or set enabled = false on that account"]


def test_a_filled_in_config_is_ok(tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    config = _config(tmp_path, '[me]\naddresses = ["ada@lovelace.org"]\n'
                     '[[accounts]]\nname = "a"\nkind = "maildir"\npath = "mail"\n')
    assert [c.line() for c in doctor.setup_checks(config)] == [
        "OK   1 address(es) of yours, every archive path exists"]


def test_doctor_runs_the_setup_checks(tmp_path: Path) -> None:
    config = _config(tmp_path, '[me]\naddresses = ["x@corp.example"]\n')
    out = "\n".join(c.line() for c in doctor.run(config.path, tmp_path / "state"))
    assert "FIX  " in out and "'x@corp.example' is a placeholder" in out
