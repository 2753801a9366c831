"""The header-block parser: field extraction, and never a crash on arbitrary bytes."""

from __future__ import annotations

import email.parser
import email.policy

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import MessageRecord
from connectors.local import headers
from connectors.local.mbox import messages

BLOCK = (
    b"Message-ID: <abc@x.org>\r\n"
    b"Date: Tue, 1 Feb 2022 10:00:00 +0100\r\n"
    b"From: =?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@y.es>\r\n"
    b'To: "Doe, John" <john@x.com>,\r\n\t bob@x.com\r\n'
    b"To: second@x.com\r\n"
    b"CC: c@x.com\r\n"
    b"In-Reply-To: <parent@x.org>\r\n"
    b"References: <root@x.org>\r\n <parent@x.org>\r\n"
    b"List-Id: Team <team.x.org>\r\n"
    b"List-Unsubscribe: <mailto:u@x.org>\r\n"
    b"Precedence: bulk\r\n"
    b"Auto-Submitted: auto-generated\r\n"
    b"X-GM-THRID: 1721234567890123456\r\n"
    b'X-Gmail-Labels: Inbox,Important,"Clients, 2022",=?UTF-8?Q?Caf=C3=A9?=\r\n'
)


def test_fields_are_raw_and_every_occurrence_is_kept() -> None:
    rec = headers.parse_block(BLOCK, "id1", ("inbox",))
    assert rec is not None
    assert rec.message_id == "<abc@x.org>"
    assert rec.date_header == "Tue, 1 Feb 2022 10:00:00 +0100"
    assert rec.from_ == ("=?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <jose@y.es>",)
    assert rec.to == ('"Doe, John" <john@x.com>,\t bob@x.com', "second@x.com")
    assert rec.cc == ("c@x.com",)
    assert rec.references == ("<root@x.org>", "<parent@x.org>")  # root first
    assert rec.list_id == "Team <team.x.org>"
    assert rec.list_unsubscribe is True
    assert rec.precedence == "bulk"
    assert rec.auto_submitted == "auto-generated"
    assert rec.thread_id == format(1721234567890123456, "x") == "17e30db85236bac0"
    assert rec.labels == ("inbox", "Inbox", "Important", "Clients, 2022", "Café")
    assert rec.when is None


def test_missing_headers_give_empty_fields() -> None:
    rec = headers.parse_block(b"From: a@x.org\n", "s")
    assert rec == MessageRecord(source_id="s", from_=("a@x.org",))


def test_non_utf8_bytes_become_latin1_text() -> None:
    rec = headers.parse_block(b"From: Ren\xe9 <r@x.fr>\n", "s")
    assert rec is not None and rec.from_ == ("René <r@x.fr>",)


def test_body_without_blank_line_ends_the_headers() -> None:
    rec = headers.parse_block(b"From: a@x.org\nnot a header line\nTo: b@x.org\n", "s")
    assert rec is not None and rec.to == ()


def test_garbage_is_no_headers() -> None:
    assert headers.parse_block(b"\x00\x01 binary junk\n\n", "s") is None
    assert headers.parse_block(b"", "s") is None
    assert headers.parse_block(b"From someone Mon Jan  1 00:00:00 2001\n", "s") is None


def test_gmail_hex() -> None:
    assert headers.gmail_hex("1234567890123456789") == "112210f47de98115"
    assert headers.gmail_hex("12a") is None
    assert headers.gmail_hex("") is None


header_name = st.sampled_from(
    ["From", "To", "Cc", "Bcc", "Date", "Message-ID", "References", "X-GM-THRID", "Subject", "X"]
)
header_value = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40
).map(str.strip)


@settings(max_examples=300)
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_raise(block: bytes) -> None:
    rec = headers.parse_block(block, "s")
    assert rec is None or isinstance(rec, MessageRecord)


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_every_mbox_message_is_a_record_or_a_skip(chunks: list[bytes]) -> None:
    data = b"".join(b"From x Mon Jan  1 00:00:00 2001\n" + c + b"\n" for c in chunks)
    found = list(messages(data, 0, len(data)))
    parsed = [headers.parse_block(block, str(off)) for off, _, block, _ in found]
    records = [r for r in parsed if r is not None]
    skipped = sum(1 for r in parsed if r is None)
    assert len(records) + skipped == len(found)
    assert len(found) >= (1 if chunks else 0)


@settings(max_examples=200)
@given(st.lists(st.tuples(header_name, header_value), min_size=1, max_size=12))
def test_agrees_with_the_standard_library(pairs: list[tuple[str, str]]) -> None:
    block = "".join(f"{n}: {v}\n" for n, v in pairs).encode()
    rec = headers.parse_block(block, "s")
    std = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(block)
    assert rec is not None
    assert list(rec.to) == [v.strip() for v in std.get_all("To", []) if v.strip()]
    assert list(rec.from_) == [v.strip() for v in std.get_all("From", []) if v.strip()]
    assert rec.date_header == ((std.get("Date") or "").strip() or None)
