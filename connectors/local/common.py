"""What the local-file connectors (maildir, mbox, ics) share: paging, cursors, path checks."""

from __future__ import annotations

import base64
import json
import logging
import mmap
import os
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from connectors.base import Listing, Page, Record, Skips
from connectors.errors import BadArchive

HEAD_LIMIT = 1 << 20  # a header block this long is no message's: skipped as "too_large"
PAGE_SIZE = 1000  # a commit per page costs ~5 ms on SQLite; 1,000 records amortise it
LISTED_SIZE = 5000  # ids a page names as still there without re-reading them
CURSOR_VERSION = 1
log = logging.getLogger("connectors.local")


class Pager:
    """Collects records, gone ids and listed ids until a page is full; each page also carries
    the skip counts added to ``skipped`` since the page before. ``listing``, when set, goes on
    the next page only: the one that opens a full listing."""

    def __init__(self, skipped: Skips, size: int = PAGE_SIZE) -> None:
        self.size = size
        self.listed_size = LISTED_SIZE
        self.skipped = skipped
        self.records: list[Record] = []
        self.gone: list[str] = []
        self.listed: list[str] = []
        self.listing: Listing | None = None

    @property
    def full(self) -> bool:
        """True once the page holds ``size`` records or ``listed_size`` listed ids."""
        return len(self.records) >= self.size or len(self.listed) >= self.listed_size

    def take(self, cursor: dict[str, Any]) -> Page:
        """The page so far with ``cursor`` (the resume point after it); starts a new page."""
        skipped = self.skipped.take()
        page = Page(tuple(self.records), tuple(self.gone), dump_cursor(cursor), skipped,
                    listing=self.listing, listed=tuple(self.listed),
                    incomplete="unreadable_folder" in skipped)  # nothing under it was named
        self.records, self.gone, self.listed, self.listing = [], [], [], None
        return page


def dump_cursor(state: dict[str, Any]) -> str:
    """Cursor text of a state dict (compact JSON)."""
    return json.dumps({"v": CURSOR_VERSION, **state}, separators=(",", ":"), sort_keys=True)


def load_cursor(cursor: str | None) -> dict[str, Any]:
    """The state dict of a cursor; an unreadable or foreign cursor means a fresh start."""
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        log.warning("unreadable archive cursor: starting over")
        return {}
    if not isinstance(state, dict) or state.get("v") != CURSOR_VERSION:
        log.warning("archive cursor of another version: starting over")
        return {}
    return state


def pack_ids(ids: Iterable[str]) -> str:
    """A sorted id set as compact text (zlib + base64) for a cursor."""
    raw = "\n".join(sorted(ids)).encode("utf-8", "surrogatepass")
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def unpack_ids(packed: str | None) -> set[str] | None:
    """Inverse of :func:`pack_ids`; None when absent or damaged."""
    if not packed:
        return None if packed is None else set()
    try:
        raw = zlib.decompress(base64.b64decode(packed)).decode("utf-8", "surrogatepass")
    except (ValueError, zlib.error):
        return None
    return set(raw.split("\n")) if raw else set()


def check_path(path: Path, account: str, kind: str) -> Path:
    """``path`` expanded, or :class:`BadArchive` naming the config key to fix."""
    path = Path(path).expanduser()
    entry = f"the [[accounts]] entry name = {account!r} (kind = {kind!r})"
    if not path.exists():
        raise BadArchive(f"{kind} archive {path} does not exist", hint=f"fix `path` of {entry}")
    try:  # unreadable as a whole: one clear error, not a pass that finds nothing
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))  # non-blocking: a FIFO waits
    except OSError as exc:
        raise BadArchive(f"{kind} archive {path} cannot be read: {exc.strerror}",
                         hint="give the user Keepwarm runs as read access to it, or fix "
                              f"`path` of {entry}") from None
    return path


def visible_files(root: Path, skipped: Counter[str] | None = None
                  ) -> Iterator[tuple[str, Path]]:
    """(relative name, path) of every file under ``root`` (itself, if a file), skipping hidden
    files and folders, in no particular order. Folders that cannot be listed are counted in
    ``skipped`` as ``unreadable_folder``."""
    if root.is_file():
        yield root.name, root
        return

    def refused(_: OSError) -> None:
        if skipped is not None:
            skipped["unreadable_folder"] += 1

    for folder, dirs, files in os.walk(root, onerror=refused):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
                path = Path(folder, name)
                yield relative(path, root), path


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form; a file root is relative to its folder."""
    base = root.parent if root.is_file() else root
    return path.relative_to(base).as_posix()


def report_skipped(key: str, skipped: Counter[str]) -> None:
    """One log line with the counts of skipped items (never their ids)."""
    if skipped:
        log.info("%s: skipped %s", key, dict(sorted(skipped.items())))


def header_end(
    data: bytes | mmap.mmap, start: int = 0, end: int | None = None, crlf: bool = False
) -> int:
    """Index of the newline that ends the last header line (the blank line follows), or -1.

    ``crlf`` says which line ending to look for first, so a file of one style never pays a
    long search for the other.
    """
    stop = len(data) if end is None else end
    first, second = (b"\n\r\n", b"\n\n") if crlf else (b"\n\n", b"\n\r\n")
    found = data.find(first, start, stop)
    other = data.find(second, start, found if found >= 0 else stop)
    return other if other >= 0 else found
