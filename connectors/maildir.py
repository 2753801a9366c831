"""Source of a tree of one-message-per-file folders: Maildir, Maildir++ or plain (MH-like).

Each file is read only up to the blank line that ends its headers. A pass lists every file
in sorted order; the cursor names the pass start, the last file done and the start of the
previous completed pass. Later passes read only files created, renamed or modified since then
(max of ctime and mtime, so a copy that kept an old mtime is still seen). Files that vanished
are reported in ``Page.gone`` while the tree holds at most ``GONE_LIMIT`` messages.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors import _headers
from connectors._local import (
    PAGE_SIZE,
    Pager,
    check_path,
    header_end,
    load_cursor,
    pack_ids,
    report_skipped,
    unpack_ids,
)
from connectors.base import Page

GONE_LIMIT = 20_000
# Seconds a file stamped just before a pass began may still have changed after it was read:
# kernels stamp files from a coarse clock (ms); FAT, SMB and old NFS only to 1-2 seconds.
FINE_SLACK = 0.05
COARSE_SLACK = 2.0
LISTING_TTL = 60.0  # seconds a listing made for size_hint stays usable by pages()
HEAD_CHUNK = 16_384
HEAD_LIMIT = 1 << 20  # a header block longer than this is cut
_FLAGS = re.compile(r"[:!;]2,[^/]*$")
_IGNORED_FILES = ("dovecot", "courier", "maildirfolder", "subscriptions", "mbsyncstate")


@dataclass(frozen=True, slots=True)
class _Entry:
    key: str  # sort key: source id, then the real relative path
    source_id: str
    path: str
    labels: tuple[str, ...]
    stamp: float


def _label(parts: list[str]) -> tuple[str, ...]:
    """Folder label of relative folder ``parts``; Maildir++ ``.A.B`` becomes ``A/B``."""
    names = [p[1:].replace(".", "/") if p.startswith(".") else p for p in parts]
    label = "/".join(n for n in names if n)
    return (label,) if label else ()


def _walk(root: Path) -> Iterator[_Entry]:
    """Every message file under ``root``, skipping ``tmp`` and tool metadata."""
    if root.is_file():
        st = root.stat()
        yield _Entry(root.name, root.name, str(root), (), max(st.st_mtime, st.st_ctime))
        return
    stack: list[tuple[str, list[str]]] = [(str(root), [])]
    while stack:
        folder, parts = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        dirs = {e.name for e in entries if e.is_dir(follow_symlinks=False)}
        is_maildir = "cur" in dirs or "new" in dirs
        for e in entries:
            if e.name in dirs:
                if is_maildir and e.name == "tmp":
                    continue  # deliveries in progress
                if is_maildir and e.name in ("cur", "new"):
                    yield from _files(e.path, parts, _label(parts))
                else:
                    stack.append((e.path, [*parts, e.name]))
            elif not is_maildir and _is_message_name(e.name):
                yield from _files_of([e], parts, _label(parts))


def _is_message_name(name: str) -> bool:
    return not name.startswith(".") and not name.startswith(_IGNORED_FILES)


def _files(folder: str, parts: list[str], labels: tuple[str, ...]) -> Iterator[_Entry]:
    try:
        entries = [e for e in os.scandir(folder) if _is_message_name(e.name)]
    except OSError:
        return
    yield from _files_of(entries, parts, labels)


def _files_of(
    entries: list[os.DirEntry[str]], parts: list[str], labels: tuple[str, ...]
) -> Iterator[_Entry]:
    prefix = "/".join(parts)
    for e in entries:
        try:
            if not e.is_file(follow_symlinks=False):
                continue
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        name = _FLAGS.sub("", e.name)
        sid = f"{prefix}/{name}" if prefix else name
        yield _Entry(f"{sid}\0{e.name}", sid, e.path, labels, max(st.st_mtime, st.st_ctime))


def _list(root: Path) -> list[_Entry]:
    return sorted(_walk(root), key=lambda e: e.key)


def read_head(path: str) -> bytes:
    """The bytes of ``path`` up to the end of its header block (at most ``HEAD_LIMIT``)."""
    with open(path, "rb", buffering=0) as f:
        data = f.read(HEAD_CHUNK)
        while len(data) < HEAD_LIMIT:
            end = header_end(data)
            if end >= 0:
                return data[: end + 1]
            more = f.read(HEAD_CHUNK * 4)
            if not more:
                break
            data += more
        return data[:HEAD_LIMIT]


class MaildirSource:
    """Messages of a maildir-like tree.

    ``size_hint`` read before :meth:`pages` is the number of message files (the listing is kept
    for that next pass); once the first page is built it is the number of files this pass reads.
    """

    def __init__(
        self,
        key: str,
        root: Path,
        account: str,
        clock: Callable[[], float] = time.time,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.key = key
        self.root = root
        self.account = account
        self.clock = clock
        self.skipped: Counter[str] = Counter()
        self._hint: int | None = None
        self._listing: tuple[float, list[_Entry]] | None = None
        self.page_size = page_size

    @property
    def size_hint(self) -> int | None:
        """Messages this pass is expected to read (see the class docstring)."""
        if self._hint is None and self._listing is None and self.root.exists():
            listed_at = self.clock()
            self._listing = (listed_at, _list(self.root))
        if self._hint is None and self._listing is not None:
            return len(self._listing[1])
        return self._hint

    def _entries(self, root: Path, fresh: float) -> tuple[float, list[_Entry]]:
        """(time the listing began, entries): the one kept by ``size_hint`` if recent."""
        kept, self._listing = self._listing, None
        if kept is not None and 0 <= fresh - kept[0] < LISTING_TTL:
            return kept
        return fresh, _list(root)

    def pages(self, cursor: str | None) -> Iterator[Page]:
        """Pages of records changed since ``cursor``; the last page completes the pass."""
        self.skipped = Counter()
        state = load_cursor(cursor)
        root = check_path(self.root, self.account, "maildir")
        resuming = state.get("start") is not None
        listed_at, entries = self._entries(root, self.clock())
        start = state["start"] if resuming else listed_at
        since: float | None = state.get("since")
        pos: str | None = state.get("pos") if resuming else None
        previous = unpack_ids(state.get("ids"))
        pager = Pager(self.page_size)
        ids = state.get("ids")
        if not resuming:
            current = {e.source_id for e in entries}
            if previous is not None:
                pager.gone.extend(sorted(previous - current))
            ids = pack_ids(current) if len(current) <= GONE_LIMIT else None
        todo = [e for e in entries if pos is None or e.key > pos]
        if since is not None:
            slack = _slack(entries)
            todo = [e for e in todo if _changed(e, since - slack, previous)]
        self._hint = len(todo)
        cur: dict[str, Any] = {"start": start, "since": since, "pos": pos, "ids": ids}
        for entry in todo:
            self._read(entry, pager)
            cur["pos"] = entry.key
            if pager.full:
                yield pager.take(cur)
        report_skipped(self.key, self.skipped)
        self._hint = None  # the next pass lists again
        yield pager.take({"start": None, "since": start, "pos": None, "ids": ids})

    def _read(self, entry: _Entry, pager: Pager) -> None:
        try:
            block = read_head(entry.path)
        except OSError:
            self.skipped["unreadable_file"] += 1
            return
        record = _headers.parse_block(block, entry.source_id, entry.labels)
        if record is None:
            self.skipped["no_headers"] += 1
        else:
            pager.records.append(record)


def _slack(entries: list[_Entry]) -> float:
    """How far before a pass start to look: more when the file system keeps whole seconds."""
    sample = entries[:200]
    coarse = bool(sample) and all(e.stamp == int(e.stamp) for e in sample)
    return COARSE_SLACK if coarse else FINE_SLACK


def _changed(entry: _Entry, since: float, known: set[str] | None) -> bool:
    """Whether a completed pass starting at ``since`` may not have seen this file."""
    return entry.stamp >= since or (known is not None and entry.source_id not in known)
