"""Events of a CalDAV account (kind ``caldav``): one source over the calendars it chooses.

Each calendar member (one resource per UID, master and overrides together) is expanded by the
``ics`` connector's own code (:func:`connectors.local.ical.occurrences`, its window and its
caps), so a resource gives the same records as the same event in an .ics file; source ids are
``CALENDAR/RESOURCE:UID:OCCURRENCE``. The cursor keeps, per calendar, the sync token and, per
member, its ETag, the ids it yielded and whether it recurs. A pass::

    discover calendars ─▶ per calendar, what changed since its token (sync-collection,
    or every ETag by PROPFIND) ─▶ removed members: their ids gone
                         ─▶ changed members (and, once a day, recurring ones and those
                            that yielded nothing yet: the window moved): multiget, expand,
                            ids no longer yielded gone, a changed series re-listed whole
                            (Page.series)
                         ─▶ the calendar's new token, saved with its last page

A pass from no cursor opens a listing of ``[now - LOOKBACK, now + upcoming_days)``; members
it does not re-read are named in ``Page.listed``. A refused token is ``CursorExpired``.
"""

from __future__ import annotations

import base64
import json
import logging
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from connectors.base import EventRecord, Listing, Page, Series, Skips, Source
from connectors.caldav.dav import MULTIGET_CHUNK, Calendar, Changes, DavClient
from connectors.errors import ConnectorError, CursorExpired
from connectors.local.common import LISTED_SIZE, PAGE_SIZE
from connectors.local.ical import occurrence_key, occurrences, utc
from connectors.local.ics import LOOKBACK, REFRESH

log = logging.getLogger("connectors.caldav")
_KEY_WIDTH = len("2000-01-01T00:00:00+00:00")
_PREFIX = "caldav1:"
Entry = list[Any]  # [etag, id suffixes "UID:OCCURRENCE", recurs]


def dump(state: dict[str, Any]) -> str:
    """Cursor text: compact JSON, compressed (per-member ids make it large)."""
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return _PREFIX + base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def load(cursor: str | None) -> dict[str, Any]:
    """The state of a cursor; an unreadable one is an expired cursor (full resync)."""
    if not cursor:
        return {}
    try:
        state = json.loads(zlib.decompress(base64.b64decode(cursor.removeprefix(_PREFIX))))
    except (ValueError, zlib.error):
        raise CursorExpired("unreadable CalDAV cursor") from None
    if not cursor.startswith(_PREFIX) or not isinstance(state, dict):
        raise CursorExpired("CalDAV cursor of another version")
    return state


class _Pager:
    """Records, gone, listed and series until a page is full; then one page with a cursor."""

    def __init__(self, skipped: Skips, size: int) -> None:
        self.skipped, self.size = skipped, size
        self.records: list[EventRecord] = []
        self.gone: list[str] = []
        self.listed: list[str] = []
        self.series: list[Series] = []
        self.listing: Listing | None = None
        self.address: str | None = None

    @property
    def full(self) -> bool:
        return len(self.records) >= self.size or len(self.listed) >= LISTED_SIZE

    def take(self, state: dict[str, Any]) -> Page:
        page = Page(tuple(self.records), tuple(self.gone), dump(state), self.skipped.take(),
                    address=self.address, listing=self.listing, listed=tuple(self.listed),
                    series=tuple(self.series))
        self.records, self.gone, self.listed, self.series = [], [], [], []
        self.listing = self.address = None  # both belong on the first page only
        return page


class CalDavSource(Source):
    """The calendars of one CalDAV account. ``connect`` opens an authenticated client (it
    reads the password, so a missing one fails the pass, not the build)."""

    def __init__(self, key: str, connect: Callable[[], DavClient], chosen: tuple[str, ...] = (),
                 upcoming_days: int = 60, clock: Callable[[], datetime] | None = None,
                 page_size: int = PAGE_SIZE) -> None:
        self.key, self.connect, self.chosen = key, connect, {c.casefold() for c in chosen}
        self.upcoming = timedelta(days=upcoming_days)
        self.clock, self.page_size = clock, page_size
        self.skipped = Skips()
        self.read = self.yielded = 0
        self.holders: dict[str, set[str]] = {}

    def pages(self, cursor: str | None) -> Iterator[Page]:
        """Pages of occurrences changed since ``cursor``; the last one ends the pass."""
        self.skipped = Skips()
        self.read = self.yielded = 0  # for the pass's one log line
        old = load(cursor)
        now = utc(self.clock()) if self.clock is not None else datetime.now(UTC)
        floor, hi = now - LOOKBACK, now + self.upcoming
        refresh = not old.get("hi") or hi - datetime.fromisoformat(old["hi"]) >= REFRESH
        client = self.connect()
        try:
            cals = self._choose(client.calendars())
            # every report before the first page: a refused token costs no half pass
            plan = [(c, client.changes(c, old.get("cals", {}).get(c.path, {}).get("t")))
                    for c in cals]
            state: dict[str, Any] = {"L": not old or bool(old.get("L")), "hi": old.get("hi"),
                     "cals": {c.path: old["cals"][c.path] for c in cals
                              if c.path in old.get("cals", {})}}
            pager = _Pager(self.skipped, self.page_size)
            self.holders = _holders(state["cals"])
            if not old:
                pager.listing = Listing(floor, hi)
            pager.address = client.address
            for path, entry in sorted(old.get("cals", {}).items()):
                if path not in state["cals"]:  # a calendar deleted or no longer chosen
                    for name, item in sorted(entry["i"].items()):
                        pager.gone.extend(_ids(entry["id"], name, item))
            for cal, changes in plan:
                yield from self._calendar(client, cal, changes, state, pager,
                                          refresh, (floor, hi))
        finally:
            client.close()
        state.update(L=False, hi=hi.isoformat())
        log.info("%s: %d calendars, %d members read, %d occurrences, skipped %s", self.key,
                 len(plan), self.read, self.yielded, dict(sorted(self.skipped.items())))
        yield pager.take(state)

    def _choose(self, found: list[Calendar]) -> list[Calendar]:
        """The calendars ``calendars`` names (by id or display name), or all of them."""
        if not self.chosen:
            return found
        kept = [c for c in found if {c.ident.casefold(), c.name.casefold()} & self.chosen]
        if not kept:
            names = ", ".join(repr(c.name) for c in found) or "none"
            raise ConnectorError(f"{self.key}: no calendar matches `calendars`",
                                 hint=f"the server offers: {names}")
        return kept

    def _calendar(self, client: DavClient, cal: Calendar, changes: Changes,
                  state: dict[str, Any], pager: _Pager, refresh: bool,
                  window: tuple[datetime, datetime]) -> Iterator[Page]:
        """Yield the pages that fill while one calendar's changes are added."""
        entry = state["cals"].setdefault(cal.path, {"id": cal.ident, "t": None, "i": {}})
        items: dict[str, Entry] = entry["i"]
        changed = {_name(cal, p): etag for p, etag in changes.changed.items()}
        removed = {_name(cal, p) for p in changes.removed}
        if changes.full:
            removed |= set(items) - set(changed)
        for name in sorted(removed & set(items)):
            pager.gone.extend(_ids(cal.ident, name, items.pop(name)))
        read = sorted(n for n, etag in changed.items() if items.get(n, [None])[0] != etag)
        if refresh:  # the window moved: series, and events once beyond it, may now be in it
            read = sorted({*read, *(n for n, item in items.items() if item[2] or not item[1])})
        if state["L"]:  # a listing names what it does not re-read
            for name in sorted(set(items) - set(read)):
                pager.listed.extend(_ids(cal.ident, name, items[name]))
        unanswered = False
        for i in range(0, len(read), MULTIGET_CHUNK):
            chunk = read[i:i + MULTIGET_CHUNK]
            got = client.fetch(cal, [cal.path.rstrip("/") + "/" + n for n in chunk])
            for name in chunk:
                path = unquote(cal.path.rstrip("/") + "/" + name)
                if path in got:
                    self._member(cal, name, got[path], items, pager, window)
                else:  # not answered: kept as it was, and asked again next time
                    self.skipped["unreadable_event"] += 1
                    unanswered = True
                    if name in items:
                        items[name][0] = ""
                        if state["L"]:
                            pager.listed.extend(_ids(cal.ident, name, items[name]))
                if pager.full:
                    yield pager.take(state)
        if not unanswered:  # else the old token reports the unanswered members again
            entry["t"] = changes.token

    def _member(self, cal: Calendar, name: str, got: tuple[str, bytes] | None,
                items: dict[str, Entry], pager: _Pager, window: tuple[datetime, datetime]
                ) -> None:
        """Add one member's occurrences, the ids it no longer yields, and its series."""
        floor, hi = window
        old = items.get(name)
        if got is None:  # removed between the report and the fetch (404)
            if old is not None:
                pager.gone.extend(_ids(cal.ident, name, items.pop(name)))
            return
        etag, data = got
        rel = f"{cal.ident}/{name}"
        records = occurrences(data, rel, None, hi, floor, self.skipped)
        if records is None:  # not iCalendar: counted; try again when it changes
            items[name] = [etag, old[1] if old else [], False]
            return
        ids = {r.source_id for r in records}
        low = occurrence_key(floor)
        if old is not None:
            pager.gone.extend(sorted(i for i in _ids(cal.ident, name, old)
                                     if i not in ids and i[-_KEY_WIDTH:] >= low))
        recurs = b"RRULE" in data or b"RDATE" in data
        uids = sorted({r.uid for r in records if r.uid})
        for uid in uids:
            self.holders.setdefault(uid, set()).add(rel)
        # A changed series is listed whole on this page, unless another member holds it too
        # (one meeting in two calendars): the engine would forget that copy's occurrences;
        # this member's own are in ``gone`` above.
        if old is not None and recurs:
            pager.series.extend(Series(u, floor, hi) for u in uids if self.holders[u] == {rel})
        pager.records.extend(records)
        self.read, self.yielded = self.read + 1, self.yielded + len(records)
        items[name] = [etag, sorted(i[len(rel) + 1:] for i in ids if i[-_KEY_WIDTH:] >= low),
                       recurs]


def _name(cal: Calendar, path: str) -> str:
    """A member's name inside its calendar (the path's last segment)."""
    return path.rstrip("/").rpartition("/")[2]


def _holders(cals: dict[str, Any]) -> dict[str, set[str]]:
    """Per event UID, the members (``CALENDAR/RESOURCE``) the cursor knows to hold it."""
    out: dict[str, set[str]] = {}
    for entry in cals.values():
        for name, item in entry["i"].items():
            for suffix in item[1]:
                out.setdefault(suffix[:-_KEY_WIDTH - 1], set()).add(f"{entry['id']}/{name}")
    return out


def _ids(ident: str, name: str, item: Entry) -> list[str]:
    return [f"{ident}/{name}:{suffix}" for suffix in item[1]]
