"""Source of one mbox file or a folder of them (Google Takeout, Thunderbird, Enron exports).

Each file is memory-mapped and scanned for ``From `` separator lines; only the header block
after each separator is parsed, bodies are jumped over with ``find``. The cursor keeps, per
file, the size read, mtime, inode and a fingerprint of its first bytes and of the bytes before
that size: an unchanged file is not opened, a file that only grew is read from its old end,
anything else is read again. Mid-file, the cursor holds the offset of the next message.

A pass from no cursor, and any pass after a file was rewritten, truncated or removed, is a full
listing (``Page.listing`` on its first page): the messages it does not re-read (unchanged files,
the old part of a file that grew) are named in ``Page.listed``, from their separators alone.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connectors.base import Listing, Page, Skips, Source
from connectors.local import headers
from connectors.local.common import (
    HEAD_LIMIT,
    PAGE_SIZE,
    Pager,
    check_path,
    load_cursor,
    report_skipped,
)
from connectors.local.mbox_scan import fingerprint, folder_label, mbox_files, messages, source_id

__all__ = ["MboxSource", "messages"]


class MboxSource(Source):
    """Messages of mbox files. ``size_hint`` stays None (counting would mean reading)."""

    local = True  # files only: the engine may read it ahead in another process

    def __init__(self, key: str, root: Path, account: str, page_size: int = PAGE_SIZE) -> None:
        self.key = key
        self.root = root
        self.account = account
        self.skipped = Skips()
        self.page_size = page_size
        self._listing = False  # this pass names every message
        self._relist = False  # a file was re-read from the top outside a listing

    def pages(self, cursor: str | None) -> Iterator[Page]:
        """Pages of records new since ``cursor``; the last page completes the pass."""
        self.skipped = Skips()
        state = load_cursor(cursor)
        root = check_path(self.root, self.account, "mbox")
        done: dict[str, list[Any]] = dict(state.get("files") or {})
        pos: list[Any] | None = state.get("pos")
        pager = Pager(self.skipped, self.page_size)
        files = mbox_files(root, self.skipped)
        blind = bool(self.skipped.get("unreadable_folder"))  # files under it went unnamed
        if pos is None:  # a new pass: a listing when anything read before may have vanished
            self._listing = not state or bool(state.get("relist")) or _must_list(files, done)
            pager.listing = Listing() if self._listing else None
        else:
            self._listing = bool(state.get("listing"))
        self._relist = False
        for rel, path in files:
            if pos is not None and rel < pos[0]:
                continue
            resume = pos if pos is not None and rel == pos[0] else None
            pos = None
            yield from self._file(rel, path, done, resume, pager)
        listed = {rel for rel, _ in files}
        report_skipped(self.key, self.skipped)
        final = {"files": {k: v for k, v in done.items() if k in listed}, "pos": None}
        relist = self._relist or blind  # then the next pass lists everything again
        yield pager.take({**final, "relist": True} if relist else final)

    def _file(
        self,
        rel: str,
        path: Path,
        done: dict[str, list[Any]],
        resume: list[Any] | None,
        pager: Pager,
    ) -> Iterator[Page]:
        """Read one file from where it needs reading; pages whenever the pager fills."""
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                if st.st_size == 0:
                    self._relist |= not self._listing and bool((done.get(rel) or [0])[0])
                    done[rel] = [0, st.st_mtime_ns, st.st_ino, ""]
                    return
                with mmap.mmap(f.fileno(), st.st_size, access=mmap.ACCESS_READ) as mm:
                    yield from self._scan(rel, mm, st, done, resume, pager)
        except (OSError, ValueError):
            self.skipped["unreadable_file"] += 1
            if self._listing:  # its messages went unnamed: the next pass reads it as new
                done.pop(rel, None)

    def _scan(
        self,
        rel: str,
        mm: mmap.mmap,
        st: os.stat_result,
        done: dict[str, list[Any]],
        resume: list[Any] | None,
        pager: Pager,
    ) -> Iterator[Page]:
        size = st.st_size
        start = _start(mm, st, done.get(rel), resume)
        if start == 0 and (resume or (done.get(rel) or [0])[0]) and not self._listing:
            self._relist = True  # re-read from the top outside a listing: the next pass lists
        at: list[Any] = []
        cur = {"files": done, "pos": at, "listing": self._listing}
        named = size if start is None else start  # read by an earlier pass: named, not read
        if self._listing and resume is None and named:
            for offset, sep, _, nxt in messages(mm, 0, named):
                pager.listed.append(source_id(rel, offset, sep))
                if pager.full and nxt < size:
                    at[:] = [rel, nxt, st.st_ino, fingerprint(mm, nxt)]
                    yield pager.take(cur)
        for offset, sep, block, nxt in messages(mm, size if start is None else start, size):
            too_large = len(block) >= HEAD_LIMIT  # cut: what follows the cut is lost
            record = None if too_large else headers.parse_block(
                block, source_id(rel, offset, sep), folder_label(rel))
            if too_large:
                self.skipped["too_large"] += 1
            elif record is None:
                self.skipped["no_headers"] += 1
            else:
                pager.records.append(record)
            if pager.full and nxt < size:
                at[:] = [rel, nxt, st.st_ino, fingerprint(mm, nxt)]
                yield pager.take(cur)
        done[rel] = [size, st.st_mtime_ns, st.st_ino, fingerprint(mm, size)]
        if pager.full:  # resume at this file's end: still this pass, and still its listing
            at[:] = [rel, size, st.st_ino, fingerprint(mm, size)]
            yield pager.take(cur)


def _must_list(files: list[tuple[str, Path]], done: dict[str, list[Any]]) -> bool:
    """Whether a file read before is gone, or was rewritten or truncated since."""
    if set(done) - {rel for rel, _ in files}:
        return True
    for rel, path in files:
        prev = done.get(rel)
        if not prev or not prev[0]:  # new, or empty when read: nothing read can have vanished
            continue
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                if st.st_size == 0:
                    return True
                with mmap.mmap(f.fileno(), st.st_size, access=mmap.ACCESS_READ) as mm:
                    if _start(mm, st, prev, None) == 0:
                        return True
        except (OSError, ValueError):
            continue  # counted when the pass reads it
    return False


def _start(
    mm: mmap.mmap, st: os.stat_result, prev: list[Any] | None, resume: list[Any] | None
) -> int | None:
    """Offset to read from, or None when the file is unchanged since it was read."""
    if resume is not None:
        _, offset, ino, fp = resume
        same = ino == st.st_ino and offset <= st.st_size and fp == fingerprint(mm, offset)
        return int(offset) if same else 0
    if prev is None:
        return 0
    old_size, mtime, ino, fp = prev
    if ino != st.st_ino or old_size > st.st_size:
        return 0
    if old_size == st.st_size:
        return None if mtime == st.st_mtime_ns and fp == fingerprint(mm, old_size) else 0
    return int(old_size) if fp == fingerprint(mm, old_size) else 0
