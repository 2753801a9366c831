"""The IMAP source passes the contract every source passes, against a real Dovecot."""

from __future__ import annotations

import pytest

from connectors.imap.source import ImapSource

from contract.suite import SourceContract, Upstream
from fakes import dovecot_fixtures
from fakes.dovecot import Mailbox
from fakes.dovecot_fixtures import account

mailbox = dovecot_fixtures.mailbox
server = dovecot_fixtures.server


def message(i: int) -> bytes:
    return (f"Message-ID: <m{i}@x.org>\r\nDate: Mon, 3 Jan 2022 10:00:{i % 60:02d} +0000\r\n"
            f"From: Sender {i} <sender{i}@x.org>\r\nTo: me@example.org\r\n"
            f"Subject: hello {i}\r\n\r\nbody {i}\r\n").encode()


def source(box: Mailbox) -> ImapSource:
    return ImapSource("work/mail", account(box), lambda: box.server.password, page_size=4)


class TestImapContract(SourceContract):
    """Three folders (INBOX, Sent, a nested one) of messages, pages of four."""

    @pytest.fixture
    def upstream(self, mailbox: Mailbox) -> Upstream:
        for folder, first, last in (("INBOX", 0, 9), ("Sent Messages", 9, 14),
                                    ("Archive/2022", 14, 21)):
            mailbox.append(folder, [message(i) for i in range(first, last)])

        def delete(source_id: str) -> None:
            folder, _, uid = source_id.rsplit("/", 2)
            mailbox.delete(folder, [int(uid)])

        return Upstream(lambda: source(mailbox), delete)

    @pytest.fixture
    def empty(self, mailbox: Mailbox) -> Upstream:
        return Upstream(lambda: source(mailbox))
