"""Source of a tree of one-message-per-file folders: Maildir, Maildir++ or plain (MH-like).

Each file is read only up to the blank line that ends its headers. A pass goes folder by
folder (depth first, names sorted), listing one folder at a time as sorted compact keys, a
window of 50,000 at a time (:func:`.maildir_walk.window`), so memory is flat in the size of the
archive and of its largest folder. The cursor names the pass start,
the folder and last file done, and the start of the previous completed pass. Later passes read
only files created, renamed or modified since then (max of ctime and mtime, so a copy that
kept an old mtime is still seen). Every pass is a full listing (``Page.listing`` on its first
page): the files it does not re-read are named in ``Page.listed``, page by page, so the engine
forgets the messages whose files vanished, however large the tree.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.base import Listing, Page, Skips, Source
from connectors.local import headers
from connectors.local.common import (
    HEAD_LIMIT,
    PAGE_SIZE,
    Pager,
    check_path,
    header_end,
    load_cursor,
    report_skipped,
)
from connectors.local.maildir_select import LIST, select, windows
from connectors.local.maildir_walk import Folder, folders

LISTING_TTL = 60.0  # seconds a census made for size_hint stays usable by pages()
PLAN_LIMIT = 10_000  # files a census keeps so that a pass this small lists its tree once
HEAD_CHUNK = 16_384


def read_head(path: str) -> bytes:
    """The bytes of ``path`` up to the end of its header block (at most ``HEAD_LIMIT``).
    Plain descriptor reads: no file object per message."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, HEAD_CHUNK)
        while len(data) < HEAD_LIMIT:
            end = header_end(data)
            if end >= 0:
                return data[: end + 1]
            more = os.read(fd, HEAD_CHUNK * 4)
            if not more:
                break
            data += more
        return data[:HEAD_LIMIT]
    finally:
        os.close(fd)


@dataclass(slots=True)
class _Census:
    """What a pass reads, counted by listing every folder once before it begins."""

    count: int = 0  # files to read; -1: not counted
    plan: list[tuple[Folder, list[str]]] | None = None  # the keys, when at most PLAN_LIMIT
    planned: int = 0  # keys in the plan
    unreadable: set[str] = field(default_factory=set)  # folders that could not be listed


def _census(
    root: Path, since: float | None, after: tuple[str, ...] = (), pos: str | None = None
) -> _Census:
    """The census of a pass resuming after key ``pos`` of folder ``after``."""
    found = _Census(plan=[])
    for folder in folders(root, after, found.unreadable):
        count, keys = select(folder, since, pos if folder.parts == after else None,
                             found.plan is not None, found.unreadable,
                             PLAN_LIMIT - found.planned)  # a large folder is only counted
        found.count += count
        if keys is None:
            found.plan = None
        elif found.plan is not None and keys:  # a small pass need not list its tree twice
            found.planned += len(keys)
            found.plan.append((folder, keys))
    return found


def _todo(root: Path, since: float | None, after: tuple[str, ...], pos: str | None,
          census: _Census) -> Iterator[tuple[Folder, list[str]]]:
    """(folder, sorted keys of its files) in pass order, one folder listed at a time."""
    if census.plan is not None:
        plan, census.plan = census.plan, None
        yield from ((folder, sorted(keys)) for folder, keys in plan)
        return
    for folder in folders(root, after, census.unreadable):
        yield from windows(folder, since, pos if folder.parts == after else None,
                            census.unreadable)


def _resume_point(state: dict[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """(folder, last key done) of a cursor; a pre-folder cursor restarts its pass from the top."""
    folder = state.get("dir")
    if not isinstance(folder, list) or not all(isinstance(p, str) for p in folder):
        return (), None
    return tuple(folder), state.get("pos")


class MaildirSource(Source):
    """Messages of a maildir-like tree.

    ``size_hint`` read before :meth:`pages` is the number of message files (that census is
    kept for that next pass); once the first page is built it is the number of files this pass
    reads, unless the tree held more than ``PLAN_LIMIT`` files at the last pass: such a pass
    is not counted in advance (it lists its tree once, folder by folder) and the hint stays the
    number of message files.
    """

    local = True  # files only: the engine may read it ahead in another process

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
        self.skipped = Skips()
        self._hint: int | None = None
        self._listing: tuple[float, _Census] | None = None
        self.page_size = page_size

    @property
    def size_hint(self) -> int | None:
        """Messages this pass is expected to read (see the class docstring)."""
        if self._hint is None and self._listing is None and self.root.exists():
            listed_at = self.clock()
            self._listing = (listed_at, _census(self.root, None))
        if self._hint is None and self._listing is not None:
            return self._listing[1].count
        return self._hint

    def _start(self, root: Path, since: float | None, tree: int) -> tuple[float, _Census]:
        """(pass start, census) of a new pass; a first pass uses the one of ``size_hint``
        if recent. A tree too large to plan (``tree`` files at the last pass) is not counted:
        the pass must list it anyway, so a census would only walk it twice."""
        kept, self._listing = self._listing, None
        fresh = self.clock()
        if since is None and kept is not None and 0 <= fresh - kept[0] < LISTING_TTL:
            return kept
        return fresh, _census(root, since) if tree <= PLAN_LIMIT else _Census(-1)

    def pages(self, cursor: str | None) -> Iterator[Page]:
        """Pages of records changed since ``cursor`` and of the ids of the files unchanged; the
        first page of a pass from the top opens a listing, the last page completes it."""
        self.skipped = Skips()
        state = load_cursor(cursor)  # a cursor's "ids" (before listings) is ignored
        root = check_path(self.root, self.account, "maildir")
        since: float | None = state.get("since")
        pager = Pager(self.skipped, self.page_size)
        tree: int = state["n"] if isinstance(state.get("n"), int) else 0  # files last pass
        if state.get("start") is not None:
            self._listing = None
            start = state["start"]
            after, pos = _resume_point(state)
            census = _census(root, since, after, pos) if tree <= PLAN_LIMIT else _Census(-1)
        else:
            start, census = self._start(root, since, tree)
            after, pos = (), None
        if (after, pos) == ((), None):  # from the top: this pass names every file
            pager.listing = Listing()
        self._hint = census.count if census.count >= 0 else None
        cur: dict[str, Any] = {"start": start, "since": since, "pos": pos, "n": tree}
        listed, most = pager.listed, pager.listed_size
        named = 0
        for folder, keys in _todo(root, since, after, pos, census):
            cur["dir"] = list(folder.parts)
            for key in keys:
                if key[-1] == LIST:  # the common case of a re-sync: kept cheap
                    listed.append(key[: key.index("\0")])
                    if len(listed) < most:
                        continue
                else:
                    sid, name, tail = key.split("\0")
                    path = os.path.join(folder.dirs[int(tail[:-1])], name)
                    self._read(path, sid, folder.labels, pager)
                    if not pager.full:
                        continue
                cur["pos"] = key[: key.rindex("\0")]
                yield pager.take(cur)
                listed = pager.listed
            named += len(keys)
            del keys  # before the next folder is listed
        if census.unreadable:  # by path: a folder the census and the pass both met is one
            self.skipped["unreadable_folder"] += len(census.unreadable)
        report_skipped(self.key, self.skipped)
        self._hint = None  # the next pass lists again
        yield pager.take({"start": None, "since": start, "pos": None, "n": named})

    def _read(self, path: str, source_id: str, labels: tuple[str, ...], pager: Pager) -> None:
        try:
            block = read_head(path)
        except OSError as exc:
            self.skipped["unreadable_file"] += 1
            if not isinstance(exc, FileNotFoundError):  # still there: the store keeps it
                pager.listed.append(source_id)
            return
        if len(block) >= HEAD_LIMIT:  # cut at the limit: what follows the cut is lost
            self.skipped["too_large"] += 1
            return
        record = headers.parse_block(block, source_id, labels)
        if record is None:
            self.skipped["no_headers"] += 1
        else:
            pager.records.append(record)
