"""The IMAP account through the real sync engine and store: a message moved between folders
stays one item (and is never missing in between); a refused login marks only its own account,
with the fix, while the other accounts sync."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from connectors.base import Env
from connectors.settings import MaildirAccount
from daemon.config import Config, MeSettings
from daemon.store import Store
from daemon.store.models import Item, ItemSource, Touchpoint
from daemon.store.vocab import AccountStatus
from daemon.sync.engine import Engine

from fakes import dovecot_fixtures
from fakes.dovecot import Mailbox
from fakes.dovecot_fixtures import account

mailbox = dovecot_fixtures.mailbox
server = dovecot_fixtures.server


def message(i: int) -> bytes:
    return (f"Message-ID: <mv{i}@x.org>\r\nDate: Mon, 3 Jan 2022 10:00:00 +0000\r\n"
            f"From: Ann <ann{i}@x.org>\r\nTo: kim@example.org\r\n\r\nbody\r\n").encode()


def counts(store: Store) -> tuple[int, int, int]:
    with store.session() as s:
        return (s.scalar(select(func.count()).select_from(Item)) or 0,
                s.scalar(select(func.count()).select_from(ItemSource)) or 0,
                s.scalar(select(func.count()).select_from(Touchpoint)) or 0)


def test_a_moved_message_is_one_item_before_during_and_after(mailbox: Mailbox, tmp_path: Path):
    mailbox.append("INBOX", [message(i) for i in range(3)])
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    config = Config(me=MeSettings(addresses=("kim@example.org",)),
                    accounts=(account(mailbox),))
    engine = Engine(store, config, Env(tmp_path))
    [result] = engine.sync()
    assert result.status == AccountStatus.OK and counts(store) == (3, 3, 3)
    with mailbox.client() as c:  # MOVE: gone from INBOX, new UID in Archive
        c.create_folder("Archive")
        c.select_folder("INBOX")
        c.move(c.search(["HEADER", "Message-ID", "<mv1@x.org>"]), "Archive")
    [result] = engine.sync()
    assert result.status == AccountStatus.OK and counts(store) == (3, 3, 3)
    with store.session() as s:
        ids = set(s.scalars(select(ItemSource.source_id)))
    assert any(i.startswith("Archive/") for i in ids)
    store.dispose()


def test_a_refused_login_marks_only_its_account(mailbox: Mailbox, tmp_path: Path,
                                               monkeypatch):
    monkeypatch.setenv("KW_TEST_IMAP_PASSWORD", "not the password")
    archive = tmp_path / "maildir" / "cur"
    archive.mkdir(parents=True)
    (archive / "1:2,S").write_bytes(message(7).replace(b"\r\n", b"\n"))
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    config = Config(me=MeSettings(addresses=("kim@example.org",)), accounts=(
        account(mailbox),
        MaildirAccount(name="old", kind="maildir", path=tmp_path / "maildir")))
    imap, local = Engine(store, config, Env(tmp_path)).sync()
    assert imap.status == AccountStatus.NEEDS_REAUTH
    assert imap.error and "refused the login" in imap.error
    assert imap.fix and "app password" in imap.fix and "not the password" not in imap.error
    assert local.status == AccountStatus.OK and counts(store)[0] == 1
    store.dispose()


def test_doctor_checks_that_each_imap_account_logs_in(mailbox: Mailbox, tmp_path: Path,
                                                      monkeypatch):
    from daemon.service.scopes import login_checks

    config = Config(me=MeSettings(addresses=("kim@example.org",)), accounts=(
        account(mailbox), account(mailbox, name="other", username="nobody@example.org")))
    good, bad = [str(c) for c in login_checks(config, tmp_path)]
    assert "work: logs in" in good
    assert "other" in bad and "refused the login" in bad and "app password" in bad
    monkeypatch.delenv("KW_TEST_IMAP_PASSWORD")
    missing = [str(c) for c in login_checks(config, tmp_path)]
    assert all("KW_TEST_IMAP_PASSWORD is not set" in line for line in missing)
