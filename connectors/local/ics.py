"""Calendar files (kind ``ics``): one .ics file or a folder of them, one record per occurrence.

Occurrences are expanded from the earliest event start (at most ``LOOKBACK``, 25 years, back)
to ``now + upcoming_days``. The cursor keeps,
per file, its mtime and size, the window end already covered and the ids it yielded (packed):
a changed file is read again in full and its vanished occurrences are reported as ``gone``;
an unchanged file only yields the occurrences the moving window has brought in since. A pass
from no cursor is a full listing of its window, ``[now - LOOKBACK, now + upcoming_days)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import Env, Listing, Page, Skips, Source
from connectors.local.common import (
    PAGE_SIZE,
    Pager,
    check_path,
    load_cursor,
    pack_ids,
    report_skipped,
    unpack_ids,
    visible_files,
)
from connectors.local.ical import occurrence_key, occurrences, utc
from connectors.settings import IcsAccount

LOOKBACK = timedelta(days=25 * 365)  # the floor under the earliest event start
REFRESH = timedelta(days=1)  # how far the window must move before an unchanged file is re-read
_KEY_WIDTH = len("2000-01-01T00:00:00+00:00")


def build(account: IcsAccount, env: Env) -> list[Source]:
    """The calendar source of an ics account; BadArchive if its path is missing."""
    root = check_path(account.path, account.name, "ics")
    return [IcsSource(f"{account.name}/calendar", root, account.name, account.upcoming_days,
                      env.now)]


def ics_files(root: Path, skipped: Skips | None = None) -> list[tuple[str, Path]]:
    """(relative name, path) of every .ics file under ``root``, sorted; folders that cannot be
    listed are counted in ``skipped``."""
    return sorted((rel, p) for rel, p in visible_files(root, skipped)
                  if p.name.lower().endswith(".ics"))


class IcsSource(Source):
    """Events of calendar files. ``size_hint`` stays None (occurrences are known only late)."""

    local = True  # files only: the engine may read it ahead in another process

    def __init__(
        self,
        key: str,
        root: Path,
        account: str,
        upcoming_days: int = 60,
        clock: Callable[[], datetime] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.key = key
        self.root = root
        self.account = account
        self.upcoming = timedelta(days=upcoming_days)
        self.clock = clock
        self.skipped = Skips()
        self.page_size = page_size

    def _now(self) -> datetime:
        return utc(self.clock()) if self.clock is not None else datetime.now(UTC)

    def pages(self, cursor: str | None) -> Iterator[Page]:
        """Pages of occurrences new or changed since ``cursor``; the last one ends the pass."""
        self.skipped = Skips()
        state = load_cursor(cursor)
        root = check_path(self.root, self.account, "ics")
        now = self._now()
        lo, hi = now - LOOKBACK, now + self.upcoming
        done: dict[str, dict[str, Any]] = dict(state.get("files") or {})
        pos: dict[str, Any] | None = state.get("pos")
        files = ics_files(root, self.skipped)
        blind = bool(self.skipped.get("unreadable_folder"))  # files under it went unnamed
        pager = Pager(self.skipped, self.page_size)
        if not state:  # from the top: every occurrence in the window is named by this pass
            pager.listing = Listing(lo, hi)
        for rel, path in files:
            if pos is not None and rel < pos["rel"]:
                continue
            resume = pos if pos is not None and pos["rel"] == rel else None
            pos = None
            yield from self._file(rel, path, done, resume, pager, lo, hi)
        listed = {rel for rel, _ in files}
        for rel in sorted(set(done) - listed) if not blind else ():  # deleted: all gone
            pager.gone.extend(sorted(unpack_ids(done.pop(rel).get("ids")) or ()))
        report_skipped(self.key, self.skipped)
        yield pager.take({"files": done, "pos": None})

    def _file(
        self,
        rel: str,
        path: Path,
        done: dict[str, dict[str, Any]],
        resume: dict[str, Any] | None,
        pager: Pager,
        lo: datetime,
        hi: datetime,
    ) -> Iterator[Page]:
        """Yield the pages that fill while this file's occurrences are added."""
        try:
            st = path.stat()
        except OSError:
            self.skipped["unreadable_file"] += 1
            return
        stamp = {"m": st.st_mtime_ns, "s": st.st_size}
        prev = done.get(rel)
        same = prev is not None and prev.get("m") == stamp["m"] and prev.get("s") == stamp["s"]
        start: datetime | None = None
        if resume is not None and resume["m"] == stamp["m"] and resume["s"] == stamp["s"]:
            first, full = int(resume["idx"]), bool(resume["full"])
            start = datetime.fromisoformat(resume["lo"]) if resume["lo"] else None
            hi = datetime.fromisoformat(resume["hi"])
        elif same and prev is not None:
            first, full = 0, False
            start = max(lo, datetime.fromisoformat(prev["hi"]))
            if hi - start < REFRESH:
                return
        else:
            first, full = 0, True
        try:
            data = path.read_bytes()
        except OSError:
            self.skipped["unreadable_file"] += 1
            return
        records = occurrences(data, rel, start, hi, lo, self.skipped)
        if records is None:  # unreadable as a whole: keep its state, try again next time
            return
        old = unpack_ids(prev.get("ids")) if prev else None
        ids = {r.source_id for r in records}
        if full and first == 0 and old:
            floor = occurrence_key(lo)  # older occurrences are not compared: they age out
            pager.gone.extend(sorted(i for i in old - ids if i[-_KEY_WIDTH:] >= floor))
        at = {
            "rel": rel,
            **stamp,
            "full": full,
            "lo": start and start.isoformat(),
            "hi": hi.isoformat(),
        }
        for index in range(first, len(records)):
            pager.records.append(records[index])
            if pager.full:
                yield pager.take({"files": done, "pos": {**at, "idx": index + 1}})
        kept = ids if full else ids | (old or set())
        done[rel] = {**stamp, "hi": hi.isoformat(), "ids": _keep(kept, lo)}


def _keep(ids: set[str], lo: datetime) -> str:
    """Packed ids, without occurrences older than the window (they can no longer vanish)."""
    floor = occurrence_key(lo)
    return pack_ids(i for i in ids if i[-_KEY_WIDTH:] >= floor)
