"""Source of a tree of one-message-per-file folders: Maildir, Maildir++ or plain (MH-like).

Each file is read only up to the blank line that ends its headers. A pass goes folder by
folder (depth first, names sorted), listing one folder at a time as sorted compact keys, so
memory grows with the largest folder, not with the archive. The cursor names the pass start,
the folder and last file done, and the start of the previous completed pass. Later passes read
only files created, renamed or modified since then (max of ctime and mtime, so a copy that
kept an old mtime is still seen). Files that vanished are reported in ``Page.gone`` while the
tree holds at most ``GONE_LIMIT`` messages.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import Page, Skips, Source
from connectors.local import headers
from connectors.local.common import (
    PAGE_SIZE,
    Pager,
    check_path,
    header_end,
    load_cursor,
    pack_ids,
    report_skipped,
    unpack_ids,
)
from connectors.local.maildir_walk import Folder, files, folders

GONE_LIMIT = 20_000
# Seconds a file stamped just before a pass began may still have changed after it was read:
# kernels stamp files from a coarse clock (ms); FAT, SMB and old NFS only to 1-2 seconds.
FINE_SLACK = 0.05
COARSE_SLACK = 2.0
SLACK_SAMPLE = 200  # files per folder whose stamps tell a coarse file system
LISTING_TTL = 60.0  # seconds a census made for size_hint stays usable by pages()
PLAN_LIMIT = 10_000  # files a census keeps so that a pass this small lists its tree once
HEAD_CHUNK = 16_384
HEAD_LIMIT = 1 << 20  # a header block longer than this is cut


@dataclass(slots=True)
class _Filter:
    """Which files of a folder a pass reads."""

    since: float | None = None  # start of the previous completed pass
    known: set[str] | None = None  # ids that pass listed
    ids: set[str] | None = None  # collects every id seen, when given


def _select(folder: Folder, want: _Filter, pos: str | None = None) -> list[str]:
    """Unsorted keys ``source id NUL file name NUL dir index`` of the folder's files to read
    (after key ``pos``, when given)."""
    since = want.since
    todo: list[str] = []
    maybe: list[str] = []  # stamped within the coarse slack only: read on a coarse file system
    sample: list[float] = []
    for sid, name, i, stamp in files(folder, since is not None):
        if want.ids is not None:
            want.ids.add(sid)
            if len(want.ids) > GONE_LIMIT:
                want.ids = None  # too many to remember: no gone reports for this tree
        if len(sample) < SLACK_SAMPLE:
            sample.append(stamp)
        if pos is not None and f"{sid}\0{name}" <= pos:
            continue
        entry = f"{sid}\0{name}\0{i}"
        if since is None or stamp >= since - FINE_SLACK:
            todo.append(entry)
        elif want.known is not None and sid not in want.known:
            todo.append(entry)  # new to this tree though stamped before that pass
        elif stamp >= since - COARSE_SLACK:
            maybe.append(entry)
    if maybe and all(s == int(s) for s in sample):  # whole seconds: look further back
        todo += maybe
    return todo


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


@dataclass(slots=True)
class _Census:
    """What a pass reads, counted by listing every folder once before it begins."""

    count: int = 0  # files to read
    ids: set[str] | None = None  # every id of the tree, when asked and at most GONE_LIMIT
    plan: list[tuple[Folder, list[str]]] | None = None  # the files, when at most PLAN_LIMIT


def _census(
    root: Path, want: _Filter, after: tuple[str, ...] = (), pos: str | None = None
) -> _Census:
    """The census of a pass resuming after key ``pos`` of folder ``after``."""
    found = _Census(plan=[])
    for folder in folders(root, after):
        todo = _select(folder, want, pos if folder.parts == after else None)
        found.count += len(todo)
        if found.plan is not None and todo:  # a small pass need not list its tree twice
            if found.count <= PLAN_LIMIT:
                found.plan.append((folder, todo))
            else:
                found.plan = None
    found.ids = want.ids
    return found


def _todo(root: Path, want: _Filter, after: tuple[str, ...], pos: str | None, census: _Census
          ) -> Iterator[tuple[Folder, list[str]]]:
    """(folder, sorted keys of the files to read) in pass order, one folder listed at a time."""
    if census.plan is not None:
        plan, census.plan = census.plan, None
        yield from ((folder, sorted(todo)) for folder, todo in plan)
        return
    for folder in folders(root, after):
        yield folder, sorted(_select(folder, want, pos if folder.parts == after else None))


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
    reads.
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
        self.skipped = Skips()
        self._hint: int | None = None
        self._listing: tuple[float, _Census] | None = None
        self.page_size = page_size

    @property
    def size_hint(self) -> int | None:
        """Messages this pass is expected to read (see the class docstring)."""
        if self._hint is None and self._listing is None and self.root.exists():
            listed_at = self.clock()
            self._listing = (listed_at, _census(self.root, _Filter(ids=set())))
        if self._hint is None and self._listing is not None:
            return self._listing[1].count
        return self._hint

    def _start(self, root: Path, since: float | None, known: set[str] | None
               ) -> tuple[float, _Census]:
        """(pass start, census) of a new pass; a first pass uses the one of ``size_hint``
        if recent."""
        kept, self._listing = self._listing, None
        fresh = self.clock()
        if since is None and kept is not None and 0 <= fresh - kept[0] < LISTING_TTL:
            return kept
        return fresh, _census(root, _Filter(since, known, set()))

    def pages(self, cursor: str | None) -> Iterator[Page]:
        """Pages of records changed since ``cursor``; the last page completes the pass."""
        self.skipped = Skips()
        state = load_cursor(cursor)
        root = check_path(self.root, self.account, "maildir")
        since: float | None = state.get("since")
        previous = unpack_ids(state.get("ids"))
        want = _Filter(since, previous)
        pager = Pager(self.skipped, self.page_size)
        ids = state.get("ids")
        if state.get("start") is not None:
            self._listing = None
            start = state["start"]
            after, pos = _resume_point(state)
            census = _census(root, want, after, pos)
        else:
            start, census = self._start(root, since, previous)
            after, pos = (), None
            if previous is not None and census.ids is not None:
                pager.gone.extend(sorted(previous - census.ids))
            ids = pack_ids(census.ids) if census.ids is not None else None
            census.ids = None
        self._hint = census.count
        cur: dict[str, Any] = {"start": start, "since": since, "pos": pos, "ids": ids}
        for folder, todo in _todo(root, want, after, pos, census):
            cur["dir"] = list(folder.parts)
            for entry in todo:
                sid, name, i = entry.split("\0")
                self._read(os.path.join(folder.dirs[int(i)], name), sid, folder.labels, pager)
                cur["pos"] = entry[:-2]
                if pager.full:
                    yield pager.take(cur)
            del todo  # before the next folder is listed
        report_skipped(self.key, self.skipped)
        self._hint = None  # the next pass lists again
        yield pager.take({"start": None, "since": start, "pos": None, "ids": ids})

    def _read(self, path: str, source_id: str, labels: tuple[str, ...], pager: Pager) -> None:
        try:
            block = read_head(path)
        except OSError:
            self.skipped["unreadable_file"] += 1
            return
        record = headers.parse_block(block, source_id, labels)
        if record is None:
            self.skipped["no_headers"] += 1
        else:
            pager.records.append(record)
