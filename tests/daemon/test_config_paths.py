"""``ca_file`` and ``password_file`` of IMAP, CalDAV and SMTP delivery are paths like the
others in the config: ``~`` expanded, relative ones taken from the config file's folder."""

from __future__ import annotations

from pathlib import Path

from connectors.settings import CalDavAccount, ImapAccount
from daemon.config import parse

TEXT = """\
[me]
addresses = ["me@example.com"]

[[accounts]]
name = "mail"
kind = "imap"
host = "imap.example.com"
username = "me@example.com"
password_file = "secrets/imap-password"
ca_file = "ca/imap.pem"

[[accounts]]
name = "cal"
kind = "caldav"
url = "https://dav.example.com/"
username = "me"
password_file = "../shared/caldav-password"
ca_file = "~/ca/dav.pem"

[delivery]
method = "smtp"
to = "me@example.com"
host = "smtp.example.com"
user = "me"
password_file = "smtp-password"
ca_file = "ca/smtp.pem"
"""


def test_secret_and_ca_paths_resolve_from_the_config_folder(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cfg = parse(TEXT, Path("/etc/kw/config.toml"))
    imap, dav = cfg.accounts
    assert isinstance(imap, ImapAccount) and isinstance(dav, CalDavAccount)
    assert imap.password_file == Path("/etc/kw/secrets/imap-password")
    assert imap.ca_file == Path("/etc/kw/ca/imap.pem")
    assert dav.password_file == Path("/etc/shared/caldav-password")
    assert dav.ca_file == (tmp_path / "home" / "ca" / "dav.pem").resolve()
    assert cfg.delivery.password_file == Path("/etc/kw/smtp-password")
    assert cfg.delivery.ca_file == Path("/etc/kw/ca/smtp.pem")
