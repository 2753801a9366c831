"""The IMAP source against a real Dovecot: a first sync of real mail, headers only and nothing
marked read; incremental passes; deletions; a changed UIDVALIDITY; folders; the sent folder."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from connectors.base import MessageRecord, Page
from connectors.errors import SourceUnavailable
from connectors.imap.source import ImapSource
from daemon.store.models import Direction
from daemon.sync.meaning import SENT, Interpreter

from contract.suite import apply, gone, ids
from fakes import dovecot_fixtures
from fakes.dovecot import Mailbox
from fakes.dovecot_fixtures import account

enron = dovecot_fixtures.enron
mailbox = dovecot_fixtures.mailbox
server = dovecot_fixtures.server


def message(i: int, date: str | None = "Mon, 3 Jan 2022 10:00:00 +0000",
            sender: str = "ann@x.org") -> bytes:
    head = f"Date: {date}\r\n" if date else ""
    return (f"Message-ID: <m{i}@x.org>\r\n{head}From: Ann <{sender}>\r\n"
            f"To: kim@example.org\r\nSubject: s{i}\r\n\r\nsecret body {i}\r\n").encode()


def source(box: Mailbox, page_size: int = 100, **settings: object) -> ImapSource:
    return ImapSource("work/mail", account(box, **settings), lambda: box.server.password,
                      page_size=page_size)


def drain(src: ImapSource, cursor: str | None = None) -> list[Page]:
    return list(src.pages(cursor))


def records(pages: list[Page]) -> list[MessageRecord]:
    return [r for p in pages for r in p.records if isinstance(r, MessageRecord)]


def test_real_mail_first_sync_reads_headers_only_and_marks_nothing_read(enron: Mailbox):
    pages = drain(source(enron, page_size=50))
    got = records(pages)
    assert len(got) == 266 and len(pages) == 6 and pages[0].listing is not None
    assert all(r.message_id and r.from_ and r.when for r in got)
    with enron.client() as c:
        for folder in ("INBOX", "Sent Messages"):
            c.select_folder(folder, readonly=True)
            assert all(b"\\Seen" not in f for f in c.get_flags(c.search("ALL")).values())
    log = (enron.server.root / "dovecot.log").read_text()
    mine = [line for line in log.splitlines() if f"imap({enron.user})" in line
            and "Disconnected" in line]
    assert mine and all("body_count=0 body_bytes=0" in line for line in mine)


def test_sent_folder_records_are_outbound(enron: Mailbox):
    got = [r for r in records(drain(source(enron))) if "Sent Messages" in r.labels]
    assert len(got) == 200 and all("sent" in r.labels for r in got)
    interpreter = Interpreter(set(), "work", datetime(2030, 1, 1, tzinfo=UTC))
    meanings = [interpreter.interpret(r) for r in got]
    directions = {c.direction for m in meanings if m for c in m.counterparts}
    assert "sent" in SENT and directions == {Direction.OUTBOUND}


def test_incremental_pass_reads_only_new_mail_and_reports_deletions(mailbox: Mailbox):
    uids = mailbox.append("INBOX", [message(i) for i in range(5)])
    first = drain(source(mailbox))
    store = apply({}, first)
    quiet = drain(source(mailbox), first[-1].cursor)
    assert not ids(quiet) and not gone(quiet) and quiet[-1].listing is None
    mailbox.append("INBOX", [message(9)])
    mailbox.delete("INBOX", uids[:2])
    later = drain(source(mailbox), quiet[-1].cursor)
    assert [r.message_id for r in records(later)] == ["<m9@x.org>"]
    assert len(gone(later)) == 2 and later[0].listing is None
    assert sorted(r.message_id for r in apply(store, later).values()) == [  # type: ignore[union-attr]
        "<m2@x.org>", "<m3@x.org>", "<m4@x.org>", "<m9@x.org>"]


def test_changed_uidvalidity_relists_through_a_listing(mailbox: Mailbox):
    mailbox.append("INBOX", [message(1)])
    mailbox.append("Lists", [message(i) for i in range(2, 5)])
    first = drain(source(mailbox))
    store = apply({}, first)
    with mailbox.client() as c:  # recreated: same name, new UIDVALIDITY
        c.delete_folder("Lists")
    mailbox.append("Lists", [message(i) for i in range(3, 6)])
    later = drain(source(mailbox), first[-1].cursor)
    assert later[0].listing is not None
    assert [p for p in later if p.listed] and all(i.startswith("INBOX/") for p in later
                                                 for i in p.listed)
    kept = apply(store, later)
    assert sorted(r.message_id for r in kept.values()) == [  # type: ignore[union-attr]
        "<m1@x.org>", "<m3@x.org>", "<m4@x.org>", "<m5@x.org>"]
    again = drain(source(mailbox), later[-1].cursor)
    assert not ids(again) and again[-1].listing is None


def test_default_folders_skip_trash_junk_drafts_and_settings_choose(mailbox: Mailbox):
    for folder in ("INBOX", "Trash", "Junk", "Drafts", "Archive", "Newsletters"):
        mailbox.append(folder, [message(len(folder))])
    folders = {r.source_id.split("/")[0] for r in records(drain(source(mailbox)))}
    assert folders == {"INBOX", "Archive", "Newsletters"}
    chosen = source(mailbox, folders=["inbox", "Trash"], exclude_folders=["trash"])
    assert {r.source_id.split("/")[0] for r in records(drain(chosen))} == {"INBOX"}


def test_a_deleted_folder_reports_all_its_ids_gone(mailbox: Mailbox):
    mailbox.append("Old", [message(i) for i in range(3)])
    first = drain(source(mailbox))
    with mailbox.client() as c:
        c.delete_folder("Old")
    later = drain(source(mailbox), first[-1].cursor)
    assert gone(later) == set(ids(first))


def test_draft_flag_is_a_draft_label(mailbox: Mailbox):
    mailbox.append("INBOX", [message(1)], flags=(b"\\Draft",))
    [rec] = records(drain(source(mailbox)))
    assert "draft" in rec.labels


def test_plaintext_on_loopback_and_starttls(mailbox: Mailbox):
    mailbox.append("INBOX", [message(1)])
    for security in ("none", "starttls"):
        got = records(drain(source(mailbox, security=security, port=mailbox.server.plain_port)))
        assert [r.message_id for r in got] == ["<m1@x.org>"]


def test_cursor_stays_small(mailbox: Mailbox):
    mailbox.append("INBOX", [message(i) for i in range(60)])
    cursor = drain(source(mailbox))[-1].cursor
    assert cursor and re.search(r'"uids":"1:60"', cursor) and len(cursor) < 200


def test_a_connection_dropped_mid_pass_resumes_to_the_clean_result(mailbox: Mailbox):
    mailbox.append("INBOX", [message(i) for i in range(12)])
    pages, store = [], {}
    passes = source(mailbox, page_size=4).pages(None)
    pages.append(next(passes))
    mailbox.server.kick(mailbox.user)
    with pytest.raises(SourceUnavailable) as caught:
        pages.extend(passes)
    assert "resumes" in caught.value.hint
    store = apply({}, pages)
    rest = drain(source(mailbox, page_size=4), pages[-1].cursor)
    clean = apply({}, drain(source(mailbox)))
    assert apply(store, rest) == clean and len(clean) == 12
