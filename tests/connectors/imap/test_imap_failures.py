"""What goes wrong with an IMAP account: a refused login (never retried), a missing password,
an unknown certificate, clear text to a remote host; and which time a message carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from connectors.base import Env, MessageRecord
from connectors.errors import AuthExpired, ConnectorError
from connectors.imap import build, session
from connectors.imap.cursor import pack, unpack
from connectors.imap.records import message_time
from connectors.imap.source import ImapSource
from connectors.secrets import MissingSecret

from fakes import dovecot_fixtures
from fakes.dovecot import Mailbox
from fakes.dovecot_fixtures import account

mailbox = dovecot_fixtures.mailbox
server = dovecot_fixtures.server


def test_wrong_password_is_auth_expired_with_the_fix_and_is_not_retried(
        mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch):
    attempts = []
    real_open = session._open
    monkeypatch.setattr(session, "_open", lambda *a: attempts.append(1) or real_open(*a))
    src = ImapSource("work/mail", account(mailbox), lambda: "wrong password")
    with pytest.raises(AuthExpired) as caught:
        list(src.pages(None))
    assert "app password" in caught.value.hint and "wrong password" not in str(caught.value)
    assert len(attempts) == 1  # a refused password is never retried


def test_missing_password_fails_before_connecting(mailbox: Mailbox,
                                                  monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.delenv("KW_TEST_IMAP_PASSWORD")
    [src] = build(account(mailbox), Env(tmp_path))
    with pytest.raises(MissingSecret, match="KW_TEST_IMAP_PASSWORD"):
        list(src.pages(None))


def test_the_password_comes_from_the_configured_source(mailbox: Mailbox, tmp_path):
    mailbox.append("INBOX", [b"Message-ID: <a@b>\r\nFrom: a@b.org\r\n\r\nx\r\n"])
    [src] = build(account(mailbox), Env(tmp_path))
    assert [r.message_id for p in src.pages(None) for r in p.records
            if isinstance(r, MessageRecord)] == ["<a@b>"]


def test_an_unknown_certificate_names_ca_file(mailbox: Mailbox):
    src = ImapSource("work/mail", account(mailbox, ca_file=None), lambda: "x")
    with pytest.raises(ConnectorError) as caught:
        list(src.pages(None))
    assert "ca_file" in caught.value.hint


def test_clear_text_only_to_loopback():
    base = {"name": "w", "kind": "imap", "username": "u", "password_env": "X"}
    with pytest.raises(ValidationError, match="loopback"):
        account_of({**base, "host": "imap.example.org", "security": "none"})
    assert account_of({**base, "host": "127.0.0.1", "security": "none"}).effective_port == 143
    assert account_of({**base, "host": "imap.example.org"}).effective_port == 993
    with pytest.raises(ValidationError, match="exactly one"):
        account_of({**base, "host": "h", "password_keyring": True})


def account_of(values: dict[str, object]):
    from connectors.settings import ImapAccount

    return ImapAccount.model_validate(values)


ARRIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_date_header_wins_when_plausible_even_long_before_arrival():
    assert message_time("Wed, 1 May 2024 11:58:00 +0000", ARRIVED) == ARRIVED - timedelta(
        minutes=2)
    migrated = message_time("Mon, 30 Oct 2000 01:14:00 -0800", ARRIVED)
    assert migrated == datetime(2000, 10, 30, 9, 14, tzinfo=UTC)


@pytest.mark.parametrize("header", [None, "", "not a date", "Thu, 1 Jan 1970 00:00:00 +0000",
                                    "Fri, 1 May 2037 12:00:00 +0000",  # from the future
                                    "Thu, 2 May 2024 13:00:00 +0000"])  # a day past arrival
def test_internaldate_wins_when_the_header_is_absent_or_implausible(header):
    assert message_time(header, ARRIVED) == ARRIVED


def test_without_internaldate_the_header_is_all_there_is():
    assert message_time(None, None) is None
    assert message_time("Wed, 1 May 2024 11:58:00", None) == datetime(2024, 5, 1, 11, 58,
                                                                        tzinfo=UTC)


def test_both_failure_shapes_against_the_server(mailbox: Mailbox):
    arrived = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    mailbox.append("INBOX", [b"Message-ID: <a@b>\r\nFrom: a@b.org\r\n\r\nx\r\n",
                             b"Message-ID: <c@d>\r\nFrom: a@b.org\r\n"
                             b"Date: Fri, 1 May 2037 12:00:00 +0000\r\n\r\nx\r\n"],
                   when=[arrived, arrived])
    src = ImapSource("work/mail", account(mailbox), lambda: mailbox.server.password)
    got = [r for p in src.pages(None) for r in p.records if isinstance(r, MessageRecord)]
    assert [r.when for r in got] == [arrived, arrived]


@given(st.sets(st.integers(min_value=1, max_value=2**32 - 1), max_size=200))
def test_uid_sets_survive_the_cursor(uids):
    assert unpack(pack(uids)) == uids


def test_tls_to_a_clear_text_port_is_a_settings_error_not_retried(mailbox: Mailbox):
    src = ImapSource("work/mail", account(mailbox, port=mailbox.server.plain_port),
                     lambda: mailbox.server.password)
    with pytest.raises(ConnectorError) as caught:
        list(src.pages(None))
    assert "security" in caught.value.hint and type(caught.value) is ConnectorError
