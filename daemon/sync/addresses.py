"""Parse raw address headers safely, one header value at a time (dates: :mod:`.dates`).

``email.headerregistry`` decodes RFC 2047 names and understands groups; ``getaddresses`` is
the fallback. Each header value is parsed alone because newer Pythons' strict parser drops
a whole call when one address in it is malformed. Nothing here raises on bad input: it
returns what it could read and tells the caller what it skipped.

Everything returned is storable: valid UTF-8 (no lone surrogates: the email package keeps the
bytes of an unknown charset or a broken encoded word as surrogate escapes), no control
characters (PostgreSQL refuses NUL), names of at most ``NAME_MAX`` characters, addresses of
at most ``ADDRESS_MAX`` (a longer one is no address: it is counted as malformed).
"""

from __future__ import annotations

import codecs
import email.utils
import re
from collections import Counter
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.policy import default as default_policy
from functools import lru_cache

_GMAIL = {"gmail.com", "googlemail.com"}
NAME_MAX = 256  # contacts.display_name
ADDRESS_MAX = 320  # contacts.address; RFC 5321's 64 + 1 + 255
_ESCAPED = re.compile("[\udc80-\udcff]+")  # bytes the email package could not decode
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # controls, lone surrogates
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bq]\?", re.IGNORECASE)  # =?charset?q?


def clean(text: str, limit: int = NAME_MAX) -> str:
    """``text`` made storable: undecoded bytes read as UTF-8 (U+FFFD where they are not),
    lone surrogates and control characters dropped, whitespace collapsed, at most ``limit``
    characters."""
    if not (text.isascii() and text.isprintable()):
        text = _ESCAPED.sub(_escaped_bytes, " ".join(text.split()))
        text = _UNSAFE.sub("", text)
    elif "  " not in text and text == text.strip() and len(text) <= limit:
        return text  # already clean: most names
    return " ".join(text.split())[:limit].rstrip()


def _escaped_bytes(match: re.Match[str]) -> str:
    return match.group().encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def storable(text: str, limit: int = ADDRESS_MAX) -> bool:
    """``text`` (by default a normalised address) fits a column of ``limit`` characters and
    holds no lone surrogate or control character."""
    if len(text) > limit:
        return False
    # printable ASCII (nearly every value) holds neither; the search is for the rest
    return (text.isascii() and text.isprintable()) or _UNSAFE.search(text) is None


@lru_cache(maxsize=16384)
def normalise(address: str) -> str:
    """Lower-case for matching; ``googlemail.com`` is ``gmail.com`` and Gmail ignores dots."""
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


@lru_cache(maxsize=16384)  # the same people recur across an archive's address lists
def valid(address: str) -> bool:
    """Whether ``address`` (an address part, never a name) can be a mailbox. An RFC 2047
    encoded word is never part of one (RFC 2047, 5): it is a name a parser misread."""
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and ".." not in domain
                and " " not in address and "@" not in local and storable(address)
                and ("=?" not in address or _ENCODED_WORD.search(address) is None))


def _parse_value(value: str) -> tuple[tuple[tuple[str, str], ...], int]:
    """(name, address) pairs of one header value, and how many malformed entries it held
    (uncached: :func:`_normalised` caches its results)."""
    fast = _fast(value)
    if fast is not None:
        return fast, 0
    forged = 0
    try:
        found, forged = _registry(value)
    except Exception:  # the registry raises IndexError etc. on junk such as 'bob@'
        try:  # an encoded word that decodes to a line break: read each word as a quoted name
            found, forged = _registry(_WORD.sub(_quoted, value), value)
        except Exception:
            found = [(_lenient(n), a) for n, a in email.utils.getaddresses([value])]
    good, bad = _joined(found)
    return good, bad + forged


_WORD = re.compile(r"=\?[^?\s]*\?[bq]\?[^?\s]*\?=", re.IGNORECASE)  # a whole encoded word
_LAYOUT = re.compile(r'[\s"]+')


def _registry(value: str, written: str | None = None) -> tuple[list[tuple[str, str]], int]:
    """The header registry's (name, address) pairs of ``value``, kept as :func:`_as_written`
    in ``written`` (default: ``value``) says."""
    header = default_policy.header_factory("To", value)
    found = [(a.display_name, a.addr_spec) for a in header.addresses]  # type: ignore[attr-defined]
    return _as_written(found, value if written is None else written)


def _quoted(word: re.Match[str]) -> str:
    """An encoded word as the quoted name it is: decoded, controls dropped (the registry
    refuses a line break in a name), quotes and backslashes escaped."""
    text = _UNSAFE.sub("", _lenient(word.group(0)))
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _as_written(found: list[tuple[str, str]], value: str) -> tuple[list[tuple[str, str]], int]:
    """The pairs whose address is written in ``value`` outside any encoded word, and how many
    were not. The header registry decodes an encoded word it finds where an address belongs
    (``=?utf-8?q?victim@evil.example?=`` becomes ``"victim@evil.example"``): that is a name,
    decoded, and an address is only ever taken from an address part."""
    if "=?" not in value:
        return found, 0
    written = _LAYOUT.sub("", _WORD.sub(" ", value)).lower()
    kept = [(n, a) for n, a in found if _LAYOUT.sub("", a).lower() in written]
    return kept, len(found) - len(kept)


_SURNAME = re.compile(r"[^\W\d_][\w'. -]{0,40}")


def _joined(found: list[tuple[str, str]]) -> tuple[tuple[tuple[str, str], ...], int]:
    """Valid pairs, and the count of malformed entries. A bare word followed by a named
    address is the first half of an unquoted ``Doe, John <j@x>``: it rejoins the name."""
    good: list[tuple[str, str]] = []
    bad, pending = 0, ""
    for name, addr in found:
        if addr and valid(addr):
            if pending and name:
                name, pending = f"{pending}, {name}", ""
            good.append((clean(name), addr))
        elif (addr or name) and _SURNAME.fullmatch((name or addr).strip()):
            bad += bool(pending)
            pending = (name or addr).strip()
        elif addr or name:
            bad += 1
        if pending and good and good[-1][0].startswith(pending + ", "):
            pending = ""
    return tuple(good), bad + bool(pending)


def _fast(value: str) -> tuple[tuple[str, str], ...] | None:
    """``getaddresses`` for plain ASCII values it reads cleanly, which is most of them and
    twenty times faster than the header registry; None sends the value to the careful path
    (encoded words, groups, stray commas, strict-mode refusals)."""
    if not value.isascii() or ":" in _QUOTED.sub("", value):  # a colon outside quotes: a group
        return None
    pairs = None if _SPECIAL.search(value) or value.count('"') % 2 else _simple(value)
    if pairs is None:
        pairs = email.utils.getaddresses([value])
    if not pairs or not all(addr and valid(addr) for _, addr in pairs):
        return None
    try:
        return tuple((clean(_decoded(name)), addr) for name, addr in pairs)
    except _BROKEN:  # a broken encoded word: be careful
        return None


_SPECIAL = re.compile(r'[()\\;]')
_QUOTED = re.compile(r'"[^"]*"')  # a quoted name may hold a colon ("open list:INPUT")
_PARTS = re.compile(r'(?:"[^"]*"|[^,"])+')
_ENTRY = re.compile(r'^\s*(?:(?:"([^"]*)"|([^<>"]*?))\s*<([^<>\s"]+)>|([^<>\s"]+))\s*$')


def _simple(value: str) -> list[tuple[str, str]] | None:
    """Comma-separated ``Name <addr>``, ``"Name, Q" <addr>`` or ``addr`` entries with no
    comments, escapes or groups; None when anything else appears."""
    out = []
    for part in _PARTS.findall(value):
        if not part.strip():
            continue
        pair = _entry(part)
        if pair is None:
            return None
        out.append(pair)
    return out


@lru_cache(maxsize=16384)  # an entry recurs in many lists: each is matched once
def _entry(part: str) -> tuple[str, str] | None:
    """``(name, address)`` of one :func:`_simple` entry, or None when it is not one."""
    m = _ENTRY.match(part)
    return None if m is None else (m.group(1) or m.group(2) or "", m.group(3) or m.group(4))


_BROKEN = (ValueError, LookupError, UnicodeError, HeaderParseError)  # from decode_header


@lru_cache(maxsize=4096)
def _decoded(name: str) -> str:
    """An RFC 2047 display name decoded (``=?utf-8?q?Jos=C3=A9?=`` -> ``José``)."""
    return str(make_header(decode_header(name))) if "=?" in name else name


def _lenient(name: str) -> str:
    """:func:`_decoded`, or when its encoded words are broken (bad base64, an unknown
    charset, bytes invalid in theirs) each word read as best it can be: an unknown charset
    as latin-1, undecodable bytes as U+FFFD; the raw name when even that fails."""
    try:
        return _decoded(name)
    except _BROKEN:
        pass
    try:
        return "".join(_word(raw, charset) for raw, charset in decode_header(name))
    except Exception:  # HeaderParseError on bad base64, and whatever else junk provokes
        return name


def _word(raw: bytes | str, charset: str | None) -> str:
    if isinstance(raw, str):
        return raw
    if charset is None:  # decode_header keeps unencoded text as raw-unicode-escape
        try:
            return raw.decode("raw-unicode-escape")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    try:
        codecs.lookup(charset)
        return raw.decode(charset, "replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return raw.decode("latin-1")


def parse_addresses(values: tuple[str, ...], skipped: Counter[str]) -> list[tuple[str, str]]:
    """Every valid (display name, normalised address) in ``values``; bad ones counted."""
    out: list[tuple[str, str]] = []
    for value in values:
        pairs, bad = _normalised(value)
        if bad:
            skipped["malformed_address"] += bad
        out.extend(pairs)
    return out


@lru_cache(maxsize=16384)
def _normalised(value: str) -> tuple[tuple[tuple[str, str], ...], int]:
    """:func:`_parse_value` with each address normalised: the same lists recur in archives
    (every copy of a message, every reply to a thread), so this is paid once per value."""
    pairs, bad = _parse_value(value)
    out = tuple((name, normalise(addr)) for name, addr in pairs)
    kept = tuple(pair for pair in out if storable(pair[1]))  # lower() can lengthen one
    return kept, bad + len(out) - len(kept)
