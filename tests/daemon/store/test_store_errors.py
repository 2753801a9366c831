"""Store errors say what is wrong and never show a password."""

from __future__ import annotations

from daemon.cli import main

from helpers.archive import mbox_config, write_mbox


def test_store_error_never_shows_the_password(tmp_path, capsys):
    """A store that cannot be opened (here: a driver that is not installed) names the URL in
    its error, which reaches the terminal and the journal: without the password."""
    mbox = write_mbox(tmp_path / "m.mbox", [])
    cfg = mbox_config(tmp_path, mbox, '\n[store]\nurl = "postgresql+nosuchdriver://kw:hunter2@db.example/kw"\n')
    assert main(["--config", str(cfg), "status"]) != 0
    err = capsys.readouterr().err
    assert "cannot open store" in err and "hunter2" not in err
