"""``keepwarm init``: what it finds on a machine (a fake home), the file it writes, the dialog."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon import config as config_mod
from daemon.cli import discover as discover_mod
from daemon.cli import init, starter
from daemon.cli.discover import Found, discover
from daemon.cli.example import example_text
from daemon.config.sanity import missing_paths, placeholders


def _touch(path: Path, data: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data)
    return path


def _maildir(path: Path) -> None:
    for part in ("cur", "new", "tmp"):
        (path / part).mkdir(parents=True)
    _touch(path / "cur" / "1.host:2,S", "From: a@b.org\n\nbody\n")


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home with one source of every kind, and look-alikes that are not sources."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    _maildir(home / "Maildir")
    _maildir(home / "Maildir" / ".Sent")
    _maildir(home / ".mail" / "work" / "INBOX")
    local = home / ".thunderbird" / "ab12.default-release" / "Mail" / "Local Folders"
    for name in ("Inbox", "Inbox.msf", "Sent", "Sent.msf", "Inbox.sbd/Old", "Inbox.sbd/Old.msf",
                 "filterlog.html", "msgFilterRules.dat"):
        _touch(local / name)
    imap = local.parents[1] / "ImapMail" / "imap.gmail.com"
    _touch(imap / "INBOX")
    _touch(imap / "INBOX.msf")
    _touch(local.parents[1] / "ImapMail" / "empty.example.org" / "msgFilterRules.dat")
    takeout = home / "Downloads" / "takeout-20261101T000000Z-001" / "Takeout"
    _touch(takeout / "Mail" / "All mail Including Spam and Trash.mbox", "From x\n")
    _touch(takeout / "Calendar" / "Work.ics")
    _touch(home / "Downloads" / "invite.ics")
    _touch(home / "Calendars" / "Family.ics")
    _touch(home / "data" / "evolution" / "calendar" / "system" / "calendar.ics")
    # look-alikes: an mbox outside Takeout, a hidden calendar, a maildir too deep to look for
    _touch(home / "Downloads" / "old.mbox")
    _touch(home / "Downloads" / ".cache" / "x.ics")
    _maildir(home / "mail" / "a" / "b" / "c" / "d")
    return home


def _table(found: list[Found], home: Path) -> list[tuple[str, str, str]]:
    return [(f.kind, f.path.relative_to(home).as_posix(), f.name) for f in found]


def test_discovery_finds_each_kind_of_source(machine: Path) -> None:
    assert _table(discover(), machine) == [
        ("maildir", "Maildir", "maildir"),
        ("maildir", ".mail", "mail"),
        ("mbox", ".thunderbird/ab12.default-release/Mail/Local Folders",
         "thunderbird-local-folders"),
        ("mbox", ".thunderbird/ab12.default-release/ImapMail/imap.gmail.com",
         "thunderbird-imap.gmail.com"),
        ("mbox", "Downloads/takeout-20261101T000000Z-001/Takeout/Mail/"
         "All mail Including Spam and Trash.mbox", "takeout"),
        ("ics", "Downloads/invite.ics", "calendar-invite"),
        ("ics", "Downloads/takeout-20261101T000000Z-001/Takeout/Calendar/Work.ics",
         "calendar-work"),
        ("ics", "Calendars/Family.ics", "calendar-family"),
        ("ics", "data/evolution/calendar/system/calendar.ics", "evolution-system"),
    ]
    what = {f.name: f.what for f in discover()}
    assert what["maildir"] == "maildir, 2 folder(s)"
    assert what["thunderbird-local-folders"] == (
        "Thunderbird (ab12.default-release), 3 mbox folder(s)")


def test_discovery_never_opens_a_file(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"opened {args[0]}")

    monkeypatch.setattr("builtins.open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    assert len(discover()) == 9


def test_discovery_is_bounded(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(30):
        _touch(machine / "Downloads" / f"invite-{i:02}.ics")
    assert sum(f.path.parent == machine / "Downloads" for f in discover()) == 10
    monkeypatch.setattr(discover_mod, "MAX_ENTRIES", 5)  # a huge folder: give up early
    assert not [f for f in discover() if f.kind == "ics" and "Downloads" in f.path.parts]


def test_an_empty_home_offers_nothing(tmp_path: Path) -> None:
    assert discover(tmp_path, tmp_path / "data") == []


def test_names_stay_unique(tmp_path: Path) -> None:
    for n in (1, 2):
        _touch(tmp_path / "Takeout" / f"Mail{n}" / "all.mbox")
    assert [f.name for f in discover(tmp_path, tmp_path)] == ["takeout", "takeout-2"]


def _config(text: str, tmp_path: Path) -> config_mod.Config:
    path = tmp_path / "config.toml"
    return config_mod.parse(text, path)


def test_the_written_config_keeps_every_other_line_of_the_template(tmp_path: Path) -> None:
    template = example_text()
    block = starter.account_block("mail", "maildir", "Found by keepwarm init.",
                                  [("path", str(tmp_path))])
    text = starter.render(template, ["ada@lovelace.org", "ada@work.org"], [block])
    config = _config(text, tmp_path)
    assert config.me.addresses == ("ada@lovelace.org", "ada@work.org")
    assert config.delivery.to == "ada@lovelace.org"
    assert [(a.name, a.kind) for a in config.accounts] == [("mail", "maildir")]
    assert not placeholders(config) and not missing_paths(config)
    lines = template.splitlines()
    start = lines.index("[[accounts]]")  # the template's active account, replaced
    end = lines.index("", start)
    kept = [line for line in lines[:start] + lines[end:] if line.startswith("#")]
    assert [line for line in text.splitlines() if line in kept] == kept


def test_no_account_chosen_leaves_a_comment(tmp_path: Path) -> None:
    text = starter.render(example_text(), ["ada@lovelace.org"], [])
    assert _config(text, tmp_path).accounts == ()
    assert starter.NO_ACCOUNT in text


def test_write_new_never_replaces_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    starter.write_new(path, "# one\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        starter.write_new(path, "# two\n")
    assert path.read_text() == "# one\n"
    assert os.listdir(path.parent) == ["config.toml"]  # no temp file left behind


def _script(answers: list[str]) -> tuple[init.Ask, list[str]]:
    said: list[str] = []
    feed: Iterator[str] = iter(answers)

    def ask(prompt: str) -> str:
        said.append(prompt)
        return next(feed)

    return ask, said


def test_the_dialog_validates_and_builds_accounts(tmp_path: Path) -> None:
    found = [Found("maildir", tmp_path, "maildir", "maildir, 1 folder(s)"),
             Found("ics", tmp_path, "calendar", "calendar, 1 kB"),
             Found("mbox", tmp_path, "google", "Google Takeout mbox, 1 kB")]
    ask, said = _script([
        "", "not-an-address", "me@example.com", "Ada@Lovelace.org, ada@work.org",
        "7", "1 3",
        "drive", "g", "", "",  # google: default name taken by a found mbox, default secrets file
        "microsoft", "office", "00000000-0000-0000-0000-000000000000",
        "1b2c3d4e-0000-4a4a-8b8b-123456789abc", "",
        ""])
    text = init.questions(example_text(), found, ask, said.append)
    config = _config(text, tmp_path)
    assert config.me.addresses == ("ada@lovelace.org", "ada@work.org")
    assert [(a.name, a.kind) for a in config.accounts] == [
        ("maildir", "maildir"), ("google", "mbox"), ("google-2", "google"),
        ("office", "microsoft")]
    assert "# Gmail and Google Calendar; sign in once with: keepwarm auth google-2" in text
    assert "# Outlook mail and calendar; sign in once with: keepwarm auth office" in text
    assert "  not an address: not-an-address" in said
    assert "  a placeholder, not a mailbox: me@example.com" in said
    assert "  type numbers from 1 to 3, all, or none" in said
    assert any("not a client ID" in line for line in said)
