"""Incremental passes by each way a server offers (RFC 7162): QRESYNC, CONDSTORE only, neither,
each against a real Dovecot (the latter two hide the extensions with ``imap_capability``).
After every change between passes, what the store keeps equals a clean first sync."""

from __future__ import annotations

import json

import pytest
from imapclient import IMAPClient

from connectors.base import MessageRecord, Page
from connectors.imap.source import ImapSource

from contract.suite import apply
from fakes import dovecot_fixtures
from fakes.dovecot import Mailbox
from fakes.dovecot_fixtures import account

any_mailbox = dovecot_fixtures.any_mailbox
mailbox = dovecot_fixtures.mailbox
server = dovecot_fixtures.server
servers_by_flavour = dovecot_fixtures.servers_by_flavour


def message(i: int) -> bytes:
    return (f"Message-ID: <c{i}@x.org>\r\nDate: Mon, 3 Jan 2022 10:00:00 +0000\r\n"
            f"From: Ann <ann{i}@x.org>\r\nTo: kim@example.org\r\n\r\nbody {i}\r\n").encode()


def source(box: Mailbox) -> ImapSource:
    return ImapSource("work/mail", account(box), lambda: box.server.password, page_size=3)


class Synced:
    """A store kept by incremental passes, and how each pass went."""

    def __init__(self, box: Mailbox) -> None:
        self.box, self.store, self.cursor = box, {}, None  # type: ignore[var-annotated]
        self.pages: list[Page] = []

    def sync(self) -> list[MessageRecord]:
        """One incremental pass; the records it read."""
        self.pages = list(source(self.box).pages(self.cursor))
        self.store = apply(self.store, self.pages)
        self.cursor = self.pages[-1].cursor
        return [r for p in self.pages for r in p.records if isinstance(r, MessageRecord)]

    def exact(self) -> bool:
        return self.store == apply({}, list(source(self.box).pages(None)))


def flag(box: Mailbox, folder: str, uids: list[int], flags: list[bytes]) -> None:
    with box.client() as c:
        c.select_folder(folder)
        c.add_flags(uids, flags)


def flavour(box: Mailbox) -> str:
    """Which server ``box`` is on: its folder is named after what it hides."""
    name = box.server.root.name
    return "plain" if "-plain-" in name else "condstore" if "-condstore-" in name else "qresync"


def test_every_change_between_passes_ends_exact(any_mailbox: Mailbox):
    box = any_mailbox
    inbox = box.append("INBOX", [message(i) for i in range(5)])
    box.append("Archive", [message(i) for i in range(10, 13)])
    synced = Synced(box)
    assert len(synced.sync()) == 8 and synced.exact()
    box.append("INBOX", [message(5)])  # new mail
    assert [r.message_id for r in synced.sync()] == ["<c5@x.org>"] and synced.exact()
    flag(box, "INBOX", inbox[:1], [b"\\Seen"])  # a flag the records do not show
    assert synced.sync() == [] and synced.exact()
    flag(box, "INBOX", inbox[1:2], [b"\\Deleted"])  # deleted, then expunged
    synced.sync()
    box.delete("INBOX", inbox[1:2])
    synced.sync()
    assert synced.exact() and len(synced.store) == 8
    with box.client() as c:  # a move between folders
        c.select_folder("INBOX")
        c.move(inbox[2:3], "Archive")
    synced.sync()
    assert synced.exact() and len(synced.store) == 8
    with box.client() as c:  # Archive recreated: a new UIDVALIDITY
        c.delete_folder("Archive")
    box.append("Archive", [message(20)])
    synced.sync()
    assert synced.exact() and synced.pages[0].listing is not None and len(synced.store) == 5


def test_draft_flag_is_seen_where_modseqs_are(any_mailbox: Mailbox):
    box = any_mailbox
    uids = box.append("INBOX", [message(i) for i in range(3)])
    synced = Synced(box)
    synced.sync()
    flag(box, "INBOX", uids[:1], [b"\\Draft"])
    got = synced.sync()
    if flavour(box) == "plain":  # neither extension: a flag change alone is unseen
        assert got == []
        return
    assert [r.message_id for r in got] == ["<c0@x.org>"] and "draft" in got[0].labels
    assert synced.exact()
    with box.client() as c:
        c.select_folder("INBOX")
        c.remove_flags(uids[:1], [b"\\Draft"])
    assert [r.labels for r in synced.sync()] == [("INBOX",)] and synced.exact()


def test_qresync_reads_changes_without_listing(mailbox: Mailbox,
                                               monkeypatch: pytest.MonkeyPatch):
    uids = mailbox.append("INBOX", [message(i) for i in range(4)])
    synced = Synced(mailbox)
    synced.sync()
    listed: list[object] = []
    real = IMAPClient.search
    monkeypatch.setattr(IMAPClient, "search", lambda *a: listed.append(a) or real(*a))
    mailbox.delete("INBOX", uids[:1])
    mailbox.append("INBOX", [message(9)])
    assert [r.message_id for r in synced.sync()] == ["<c9@x.org>"]
    assert not listed and synced.exact()


def test_a_cursor_of_the_earlier_format_resumes_without_a_full_listing(mailbox: Mailbox):
    uids = mailbox.append("INBOX", [message(i) for i in range(3)])
    synced = Synced(mailbox)
    synced.sync()
    data = json.loads(synced.cursor or "")
    assert all("dr" not in f for f in data["f"].values())  # what the earlier code wrote
    synced.cursor = json.dumps({"v": 1, "f": {n: {k: f[k] for k in ("uv", "next", "ms", "uids")}
                                             for n, f in data["f"].items()}})
    flag(mailbox, "INBOX", uids[2:], [b"\\Draft"])
    mailbox.append("INBOX", [message(7)])
    got = synced.sync()
    assert synced.pages[0].listing is None
    assert sorted(r.message_id for r in got) == ["<c2@x.org>", "<c7@x.org>"] and synced.exact()


def test_each_flavour_announces_what_it_says(any_mailbox: Mailbox):
    with any_mailbox.client() as c:
        offered = {x for x in (b"QRESYNC", b"CONDSTORE") if c.has_capability(x.decode())}
    assert offered == {"qresync": {b"QRESYNC", b"CONDSTORE"}, "condstore": {b"CONDSTORE"},
                       "plain": set()}[flavour(any_mailbox)]
