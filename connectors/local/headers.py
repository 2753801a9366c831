"""Turn one raw RFC 822 header block (bytes) into a :class:`MessageRecord`; nothing else.

Two regular expressions rather than ``email.parser``: they find and unfold only the dozen
headers a record needs, decodes nothing but bytes to text (UTF-8, else Latin-1, so any input
becomes text), and runs several times faster than ``BytesHeaderParser``. It never raises on
arbitrary bytes; a block with no header line at all gives ``None`` (the caller counts it).
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header

from connectors.base import MessageRecord

# Wanted header (lower-case bytes) -> the field it feeds.
_WANTED: dict[bytes, str] = {
    b"message-id": "message_id",
    b"in-reply-to": "in_reply_to",
    b"references": "references",
    b"date": "date",
    b"from": "from",
    b"to": "to",
    b"cc": "cc",
    b"bcc": "bcc",
    b"list-id": "list_id",
    b"list-unsubscribe": "list_unsubscribe",
    b"precedence": "precedence",
    b"auto-submitted": "auto_submitted",
    b"x-gm-thrid": "thrid",
    b"x-gmail-labels": "gmail_labels",
}
# The leading run of header lines (after an optional mbox separator kept in a file).
_VALID = re.compile(
    rb"(?:From [^\n]*\n)?((?:[!-9;-~]+[ \t]*:[^\n]*(?:\n|$)(?:[ \t][^\n]*(?:\n|$))*)*)"
)
# A wanted header line and its continuation lines; the others are never matched (cheaper).
_HEADER = re.compile(
    rb"^(" + b"|".join(re.escape(name) for name in _WANTED) + rb")[ \t]*:"
    rb"([^\n]*(?:\n[ \t][^\n]*)*)", re.MULTILINE | re.IGNORECASE)
# The same on text: ASCII, so that case folding stays the bytes' (no "ſ" for "s").
_HEADER_TEXT = re.compile(_HEADER.pattern.decode("ascii"), re.MULTILINE | re.IGNORECASE | re.ASCII)
_WANTED_TEXT = {name.decode("ascii"): field for name, field in _WANTED.items()}
_MSG_ID = re.compile(r"<[^<>\s]+>")
_LABEL = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(?:,|$)')


def _text(raw: bytes) -> str:
    """Bytes to text without loss of any byte: UTF-8 (RFC 6532) when valid, else Latin-1."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if "\x00" in text:  # a NUL cannot be stored in a text column
        text = text.replace("\x00", "")
    return text.strip()


def scan(block: bytes) -> dict[str, list[str]] | None:
    """Wanted header values of ``block``, unfolded, every occurrence in order.

    Only the leading run of well-formed header lines counts: the first line that is neither a
    header nor a continuation ends the block (the body began without a blank line). ``None``
    when the block holds no header line at all.
    """
    valid = _VALID.match(block)
    if valid is None or valid.end(1) == valid.start(1):
        return None
    end = valid.end(1)
    try:  # nearly every block is UTF-8 (or ASCII) throughout: decoded once, not per value
        return _scan_text(block[:end].decode("utf-8"))
    except UnicodeDecodeError:
        pass
    found: dict[str, list[str]] = {}
    for name, value in _HEADER.findall(block, 0, end):
        field = _WANTED[name.lower()]
        if b"\n" in value:  # unfold
            value = value.replace(b"\r\n", b"").replace(b"\n", b"")
        found.setdefault(field, []).append(_text(value))
    return found


def _scan_text(head: str) -> dict[str, list[str]]:
    """:func:`scan` of a header block that is valid UTF-8, already decoded: each value is
    what :func:`_text` makes of its bytes (a value of valid UTF-8 is valid UTF-8)."""
    found: dict[str, list[str]] = {}
    for name, value in _HEADER_TEXT.findall(head):
        if "\n" in value:  # unfold
            value = value.replace("\r\n", "").replace("\n", "")
        if "\x00" in value:  # a NUL cannot be stored in a text column
            value = value.replace("\x00", "")
        found.setdefault(_WANTED_TEXT[name.lower()], []).append(value.strip())
    return found


def gmail_hex(decimal: str) -> str | None:
    """Gmail's decimal id (Takeout, IMAP X-GM-*) in the hex form its API uses, else None."""
    decimal = decimal.strip()
    if not decimal.isascii() or not decimal.isdigit() or len(decimal) > 20:
        return None
    return format(int(decimal), "x")


def gmail_labels(value: str) -> list[str]:
    """Split Takeout's ``X-Gmail-Labels`` (comma separated, quoted when holding commas)."""
    if "=?" in value:
        try:
            value = str(make_header(decode_header(value)))
        except Exception:  # a broken encoded-word: keep the raw text
            pass
    labels = []
    for quoted, plain in _LABEL.findall(value):
        label = (quoted.replace('\\"', '"') if quoted else plain).strip()
        if label and label not in labels:
            labels.append(label)
    return labels


def references(values: dict[str, list[str]]) -> tuple[str, ...]:
    """Message-ids from References (thread root first) then In-Reply-To, without repeats."""
    ids: dict[str, None] = {}
    for field in ("references", "in_reply_to"):
        for value in values.get(field, ()):
            for mid in _MSG_ID.findall(value):
                ids.setdefault(mid, None)
    return tuple(ids)


def _first(values: dict[str, list[str]], field: str) -> str | None:
    found = values.get(field)
    return (found[0] or None) if found else None


def _all(values: dict[str, list[str]], field: str) -> tuple[str, ...]:
    return tuple(filter(None, values.get(field, ())))


def to_record(
    values: dict[str, list[str]], source_id: str, labels: tuple[str, ...] = ()
) -> MessageRecord:
    """A record from :func:`scan` output; ``labels`` are the folder labels to put first."""
    all_labels = list(labels)
    for value in values.get("gmail_labels", ()):
        all_labels.extend(x for x in gmail_labels(value) if x not in all_labels)
    thrid = _first(values, "thrid")
    return MessageRecord(
        source_id=source_id,
        message_id=_first(values, "message_id"),
        thread_id=gmail_hex(thrid) if thrid else None,
        references=references(values),
        date_header=_first(values, "date"),
        from_=_all(values, "from"),
        to=_all(values, "to"),
        cc=_all(values, "cc"),
        bcc=_all(values, "bcc"),
        labels=tuple(all_labels),
        list_id=_first(values, "list_id"),
        list_unsubscribe="list_unsubscribe" in values,
        precedence=_first(values, "precedence"),
        auto_submitted=_first(values, "auto_submitted"),
    )


def parse_block(block: bytes, source_id: str, labels: tuple[str, ...] = ()) -> MessageRecord | None:
    """The record of one header block, or None when it holds no header line."""
    values = scan(block)
    return None if values is None else to_record(values, source_id, labels)
