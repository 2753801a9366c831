"""Reading mbox files: which files under a root are mboxes, where each message's separator and
header block are (bodies are jumped over with ``find``), the message ids, and fingerprints
that tell a file that only grew from one that was rewritten. Used by :mod:`.mbox`."""

from __future__ import annotations

import hashlib
import mmap
import os
import stat
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from connectors.local import headers
from connectors.local.common import HEAD_LIMIT, header_end, visible_files

SEP = b"\nFrom "
_FP_BYTES = 1024


def mbox_files(root: Path, skipped: Counter[str]) -> list[tuple[str, Path]]:
    """(relative name, path) of every mbox under ``root``, sorted; other ``.mbox`` counted.
    A file that cannot be read is kept, whatever its name: reading it counts it (once) as
    ``unreadable_file``, and what was read of it before is not forgotten meanwhile."""
    if root.is_file():
        return [(root.name, root)]
    found = []
    for rel, path in visible_files(root, skipped):
        sniffed = _sniff(path)
        if sniffed is not False:
            found.append((rel, path))
        elif path.name.lower().endswith((".mbox", ".mbx")):
            skipped["not_mbox"] += 1
    return sorted(found)


def _sniff(path: Path) -> bool | None:
    """Whether ``path`` is empty or starts with an mbox separator line; None when it cannot
    be read. Only regular files: opening a FIFO would wait for a writer."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return None
    return not head or head.lstrip(b"\r\n").startswith(b"From ")


def fingerprint(mm: mmap.mmap | bytes, size: int) -> str:
    """Hash of the first bytes and of the bytes just before ``size``: cheap rewrite detection."""
    h = hashlib.blake2b(digest_size=8)
    h.update(mm[: min(_FP_BYTES, size)])
    h.update(mm[max(0, size - _FP_BYTES) : size])
    return h.hexdigest()


def messages(
    mm: mmap.mmap | bytes, start: int, end: int
) -> Iterator[tuple[int, bytes, bytes, int]]:
    """(offset, separator line, header block, next offset) of each message in ``[start, end)``.

    A ``start`` that is not at a separator (a tail that began mid-message) skips to the next.
    """
    pos = start
    if mm[pos : pos + 5] != b"From ":
        nxt = mm.find(SEP, pos, end)
        if nxt < 0:
            return
        pos = nxt + 1
    crlf: bool | None = None
    while pos < end:
        eol = mm.find(b"\n", pos, end)
        if eol < 0:
            eol = end
        if crlf is None:
            crlf = mm[eol - 1 : eol] == b"\r"
        limit = min(end, eol + 1 + HEAD_LIMIT)
        he = header_end(mm, eol, limit, crlf) if eol < end else -1
        inner = mm.find(SEP, eol, he if he >= 0 else limit)
        if inner >= 0:  # the next separator comes before any blank line
            block_end, nxt = inner + 1, inner
        elif he >= 0:
            block_end, nxt = he + 1, mm.find(SEP, he, end)
        else:
            block_end, nxt = limit, mm.find(SEP, limit - 1, end) if limit < end else -1
        following = nxt + 1 if nxt >= 0 else end
        yield pos, mm[pos:eol], mm[eol + 1 : block_end], following
        pos = following


def source_id(rel: str, offset: int, separator: bytes) -> str:
    """Takeout's Gmail id (``From 1234...@xxx``) in hex, else ``file:offset``."""
    token = separator[5:].split(b" ", 1)[0]
    if token.endswith(b"@xxx"):
        gid = headers.gmail_hex(token[:-4].decode("ascii", "replace"))
        if gid:
            return gid
    return f"{rel}:{offset}"


def folder_label(rel: str) -> tuple[str, ...]:
    """The folder label of an mbox file: its relative name without ``.mbox``/``.mbx``."""
    stem = rel.rsplit(".", 1)[0] if rel.lower().endswith((".mbox", ".mbx")) else rel
    return (stem,) if stem else ()
