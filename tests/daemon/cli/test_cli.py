"""The CLI: exit codes, init never overwrites, config check, sync, status, contacts, purge."""

from __future__ import annotations

import os
import stat
import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon.cli import main


@pytest.fixture
def mbox(tmp_path: Path) -> Path:
    path = tmp_path / "mail.mbox"
    path.write_text(
        "From a@x Mon Jan  1 00:00:00 2024\nFrom: Ann Lee <ann@x.com>\nTo: me@example.com\n"
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <1@x>\n\nhi\n\n"
        "From a@x Mon Jan  1 00:00:00 2024\nFrom: me@example.com\nTo: Ann Lee <ann@x.com>\n"
        "Date: Tue, 2 Jan 2024 10:00:00 +0000\nMessage-ID: <2@x>\n\nhi\n\n"
        "From a@x Mon Jan  1 00:00:00 2024\nFrom: Ann Lee <ann.lee@home.org>\nTo: me@example.com\n"
        "Date: Wed, 3 Jan 2024 10:00:00 +0000\nMessage-ID: <3@x>\n\nhi\n\n")
    return path


@pytest.fixture
def cfg(tmp_path: Path, mbox: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[me]\naddresses = ["me@example.com"]\n\n[[accounts]]\nname = "arch"\n'
                    f'kind = "mbox"\npath = "{mbox}"\n\n[delivery]\npassword_env = "SECRET"\n')
    return path


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2


def test_init_writes_once_with_tight_mode(tmp_path, capsys):
    target = tmp_path / "c.toml"
    assert main(["--config", str(target), "init"]) == 0
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    target.write_text("# mine\n")
    assert main(["--config", str(target), "init"]) == 0
    assert target.read_text() == "# mine\n"
    assert "already exists" in capsys.readouterr().out


def test_config_check_prints_and_masks(cfg, capsys):
    assert main(["--config", str(cfg), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and '"arch"' in out and "SECRET" not in out


def test_auth_signs_in_through_the_connector_registry(cfg, tmp_path, monkeypatch, capsys):
    assert main(["--config", str(cfg), "auth", "arch"]) == 0
    assert "arch: a mbox account needs no sign-in" in capsys.readouterr().out
    signed: list[str] = []
    fake = types.ModuleType("connectors.google")
    fake.authorize = lambda account, env: signed.append(account.name)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "connectors.google", fake)
    (tmp_path / "s.json").write_text("{}")
    cfg.write_text(cfg.read_text() + '[[accounts]]\nname = "g"\nkind = "google"\n'
                   'client_secrets = "s.json"\n')
    assert main(["--config", str(cfg), "auth", "g"]) == 0
    assert signed == ["g"] and "g: signed in" in capsys.readouterr().out


def test_bad_config_exits_2_with_file_line_key(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[accounts]]\nname = "x"\nkind = "gogle"\n')
    assert main(["--config", str(bad), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3: accounts[0].kind: 'gogle' is not one of" in err


def test_missing_config_exits_2_with_hint(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "none.toml"), "status"]) == 2
    assert "keepwarm init" in capsys.readouterr().err


def test_sync_status_contacts_and_duplicates(cfg, capsys):
    assert main(["--config", str(cfg), "sync", "nope"]) == 2
    assert main(["--config", str(cfg), "sync"]) == 0
    assert "arch: ok" in capsys.readouterr().out
    assert main(["--config", str(cfg), "status"]) == 0
    assert "arch/mail" in capsys.readouterr().out
    assert main(["--config", str(cfg), "contacts"]) == 0
    out = capsys.readouterr().out
    assert "ann@x.com" in out and "2024-01-02" in out
    assert main(["--config", str(cfg), "contacts", "--duplicates"]) == 0
    out = capsys.readouterr().out
    assert "[[people]]" in out and "ann.lee@home.org" in out and "ann@x.com" in out


def test_failing_account_exits_1(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(f'[[accounts]]\nname = "gone"\nkind = "mbox"\npath = "{tmp_path}/no.mbox"\n')
    assert main(["--config", str(path), "sync"]) == 1
    fix = "(fix: fix `path` of the [[accounts]] entry name = 'gone' (kind = 'mbox'))"
    assert f"does not exist {fix}" in " ".join(capsys.readouterr().out.split())
    assert main(["--config", str(path), "status"]) == 0
    out = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "gone error" in out and "does not exist (fix: fix `path` of" in out


def test_purge_before(cfg, capsys):
    main(["--config", str(cfg), "sync"])
    assert main(["--config", str(cfg), "purge", "--before", "2024-01-02T12:00"]) == 0
    assert "deleted 2 items" in capsys.readouterr().out


def test_db_upgrade(cfg, capsys):
    assert main(["--config", str(cfg), "db", "upgrade"]) == 0
    assert "revision 0010 (head 0010)" in capsys.readouterr().out


def test_upcoming_meetings_are_not_last_contact(tmp_path, capsys):
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC) + timedelta(days=10)).strftime("%Y%m%d")
    ics = tmp_path / "cal.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nBEGIN:VEVENT\nUID:u1\n"
        "DTSTART:20240105T100000Z\nDTEND:20240105T110000Z\nORGANIZER:mailto:me@example.com\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bo@x.com\nEND:VEVENT\nBEGIN:VEVENT\nUID:u2\n"
        f"DTSTART:{soon}T100000Z\nDTEND:{soon}T110000Z\nORGANIZER:mailto:me@example.com\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bo@x.com\nEND:VEVENT\nEND:VCALENDAR\n")
    path = tmp_path / "c.toml"
    path.write_text(f'[me]\naddresses = ["me@example.com"]\n[[accounts]]\nname = "cal"\n'
                    f'kind = "ics"\npath = "{ics}"\nupcoming_days = 365\n')
    assert main(["--config", str(path), "sync"]) == 0
    capsys.readouterr()
    assert main(["--config", str(path), "contacts"]) == 0
    out = capsys.readouterr().out
    [row] = [line for line in out.splitlines() if "bo@x.com" in line]
    cells = [c.strip() for c in row.split("│") if c.strip()]
    assert cells[1:] == ["0", "0", "1", "2024-01-05", "2024-01-05"]  # one meeting so far


def test_purge_before_keeps_the_given_offset(tmp_path: Path, capsys) -> None:
    from daemon.cli.core import _date

    assert _date("2024-01-02T12:00+02:00") == datetime(2024, 1, 2, 10, tzinfo=UTC)
    assert _date("2024-01-02") == datetime(2024, 1, 2, tzinfo=UTC)


def test_contacts_limit_must_be_positive(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["contacts", "--limit", "-1"])
    assert exc.value.code == 2
