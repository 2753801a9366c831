"""``keepwarm ignore list`` / ``unignore`` / ``check`` with ignores added by mail (issue 16):
both kinds of rule shown, each saying where it lives; only the store's can be undone here."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon.cli.main import main
from daemon.store import Store, ignores
from daemon.store.models import Contact

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _setup(tmp_path: Path) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n'
                   '[ignore]\ndomains = ["spam.example"]\n', encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    try:
        me = store.member_id  # the single user's: the CLI's member without --member
        with store.transaction() as s:
            ignores.add(s, me, "domain", "acme.example", AT)
            ignores.add(s, me, "address", "nora@example.org", AT)
            s.add(Contact(address="bob@acme.example", display_name="Bob"))
    finally:
        store.dispose()
    return cfg


def test_list_says_which_rules_are_whose(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    cfg = _setup(tmp_path)
    assert main(["--config", str(cfg), "ignore", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["domain  spam.example  (config)",
                         "address nora@example.org  (by mail, 2026-12-02)",
                         "domain  acme.example  (by mail, 2026-12-02)"]


def test_check_shows_the_mailed_rules_beside_the_config(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _setup(tmp_path)
    assert main(["--config", str(cfg), "ignore", "check"]) == 0
    out = capsys.readouterr().out
    assert "domain spam.example" in out and "domain acme.example (by mail)" in out
    assert "Bob (0)" in out


def test_unignore_removes_only_what_mail_added(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _setup(tmp_path)
    assert main(["--config", str(cfg), "ignore", "unignore", "ACME.example"]) == 0
    assert "No longer ignoring acme.example." in capsys.readouterr().out
    assert main(["--config", str(cfg), "ignore", "unignore", "spam.example"]) == 2
    err = capsys.readouterr().err
    assert "ignored by your config file" in err and "[ignore]" in err
    assert main(["--config", str(cfg), "ignore", "unignore", "who@nowhere.example"]) == 2
    assert main(["--config", str(cfg), "ignore", "list"]) == 0
    assert "acme.example" not in capsys.readouterr().out
