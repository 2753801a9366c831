"""The Google Calendar stream: per calendar, a windowed listing, then sync tokens.

Cursor (JSON, only parsed here): ``{"cals": {calendar id: state}}`` where state is
``{"s": sync token, "end": window end}`` once listed, or ``{"p": page token, "min", "max"}``
while a listing is under way. Recurrences are expanded by the API (``singleEvents``), so an
endless weekly series is bounded by the window; occurrences past ``upcoming_days`` that an
incremental sync brings are dropped, and the window is re-listed every 30 days so they are
picked up once they come near. A window listing covers all calendars with one window and
declares it (``Page.listing``) on its first page. A recurring event touched by an incremental
sync is listed in full over the window (``events.instances``, ``Page.series``), so a series
cut short upstream is learnt even where Google stops reporting the removed occurrences as
cancelled. A 410 Gone (sync token expired) raises
CursorExpired: the engine then starts a listing from scratch.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from googleapiclient.errors import HttpError

from connectors.base import Cursor, Env, EventRecord, Listing, Page, Series, Skips, Source
from connectors.errors import CursorExpired, SourceUnavailable
from connectors.google.gcal_records import to_record
from connectors.google.session import GoogleSession
from connectors.settings import GoogleAccount

log = logging.getLogger(__name__)

REWINDOW = timedelta(days=30)
MAX_PAGES = 1000  # per calendar and sync: a guard against a server that pages forever


class CalendarSource(Source):
    """``NAME/calendar``: the account's configured calendars, one cursor for all."""

    page_size = 2500  # the API's maximum

    def __init__(
        self, account: GoogleAccount, env: Env, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.key = f"{account.name}/calendar"
        self.account = account
        self.env = env
        self.sleep = sleep
        self.skipped = Skips()

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """Pages after ``cursor``, calendar by calendar."""
        cals = self._parse(cursor)
        self.skipped = Skips()  # counts are per pass; each page carries its share
        state = {c: cals[c] for c in self.account.calendars if c in cals}
        session = GoogleSession(self.account, self.env, sleep=self.sleep)
        self._session = session
        self._events = session.service("calendar").events()
        self._now = self.env.clock()()
        self._relisted: set[str] = set()  # recurring events listed in full this pass
        opening = self._plan(state)
        try:
            for cal in self.account.calendars:
                st = state[cal]
                params = ({"syncToken": st["s"]} if "s" in st
                          else {"timeMin": st["min"], "timeMax": st["max"]})
                for page, new in self._listing(cal, params, st):
                    state[cal] = new
                    yield self._page(page, state, opening)
                    opening = None
        finally:
            session.close()
            if self.skipped:
                log.info("%s: skipped %s", self.key, dict(self.skipped))

    def _plan(self, state: dict[str, dict[str, Any]]) -> Listing | None:
        """Decide, before reading, whether this pass opens a window listing; fill ``state``.

        The listing covers every configured calendar with one window, so the window it
        declares is true of the whole stream: a first pass, a calendar without a sync token,
        or a window no longer reaching far enough ahead re-lists them all. A listing left
        half done is resumed (it was declared when it began).
        """
        cals = self.account.calendars
        under_way = next((st for st in state.values() if "p" in st), None)
        if under_way is not None:
            for cal in cals:
                if "s" not in state.get(cal, {}) and "p" not in state.get(cal, {}):
                    state[cal] = {"p": None, "min": under_way["min"], "max": under_way["max"]}
            return None
        if all("s" in state.get(c, {}) and self._fresh(state[c]) for c in cals):
            return None
        lo, hi = self._iso(-self.account.lookback_days), self._iso(self.account.upcoming_days)
        for cal in cals:
            state[cal] = {"p": None, "min": lo, "max": hi}
        return Listing(datetime.fromisoformat(lo), datetime.fromisoformat(hi))

    def _fresh(self, st: dict[str, Any]) -> bool:
        """Whether the listed window still reaches far enough ahead."""
        try:
            return bool(datetime.fromisoformat(st["end"]) - self._now > REWINDOW)
        except (KeyError, TypeError, ValueError):
            return False

    def _iso(self, days: int) -> str:
        return (self._now + timedelta(days=days)).isoformat()

    @staticmethod
    def _parse(cursor: Cursor | None) -> dict[str, dict[str, Any]]:
        if cursor is None:
            return {}
        try:
            cals = json.loads(cursor)["cals"]
            return {str(k): dict(v) for k, v in cals.items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CursorExpired("unreadable calendar cursor") from None

    def _page(self, page: Page, state: dict[str, dict[str, Any]],
              opening: Listing | None = None) -> Page:
        """``page`` with the cursor of ``state``, the skips since the last page and the
        listing it opens, if any."""
        return Page(page.records, page.gone, json.dumps({"cals": state}), self.skipped.take(),
                    listing=opening, series=page.series)

    def _listing(
        self, cal: str, params: dict[str, Any], st: dict[str, Any]
    ) -> Iterator[tuple[Page, dict[str, Any]]]:
        """Pages of one listing (window or sync token) with the calendar's next state."""
        token = st.get("p")
        end = st.get("end") or st.get("max")
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            req = self._events.list(calendarId=cal, singleEvents=True,
                                    maxResults=self.page_size, pageToken=token, **params)
            try:
                resp = self._session.caller.execute(req, "events.list", passthrough=(410,))
            except HttpError as err:
                raise CursorExpired(f"calendar sync token expired ({cal})") from err
            items = resp.get("items") or []
            page = self._translate(items)
            if "syncToken" in params:
                page = self._with_series(cal, page, items)
            token = resp.get("nextPageToken")
            if token:
                if token in seen:
                    raise SourceUnavailable("the calendar API repeated a page token")
                seen.add(token)
                yield page, {**st, "p": token}
                continue
            sync = resp.get("nextSyncToken")
            # No sync token (reported with singleEvents): the next sync lists the window again.
            yield page, ({"s": sync, "end": end} if sync else {})
            return
        raise SourceUnavailable(f"calendar {cal!r} paged beyond {MAX_PAGES} pages")

    def _with_series(self, cal: str, page: Page, items: list[Any]) -> Page:
        """``page`` plus, for each recurring event it touches, every occurrence in the window
        and a :class:`Series` saying so.

        With ``singleEvents`` a changed series shows only as changed instances: when it is cut
        short, Google reports the removed occurrences as cancelled only about six months
        ahead (google-api-ruby-client/issues/860). Listing the series' instances names what
        is left, so the store can forget the rest.
        """
        masters = {i["recurringEventId"] for i in items
                   if isinstance(i, dict) and isinstance(i.get("recurringEventId"), str)}
        masters -= self._relisted
        if not masters:
            return page
        lo = self._now - timedelta(days=self.account.lookback_days)
        hi = self._now + timedelta(days=self.account.upcoming_days)
        records = {r.source_id: r for r in page.records}
        series = list(page.series)
        for master in sorted(masters):
            self._relisted.add(master)
            found = self._instances(cal, master, lo, hi)
            if found is None:  # the series is gone: its instances came cancelled
                continue
            uid = next((r.uid for r in found if r.uid), None) or next(
                (r.uid for r in page.records if isinstance(r, EventRecord) and r.uid
                 and r.source_id.startswith(master + "_")), None)
            if uid is not None:
                series.append(Series(uid, lo, hi))
                records.update((r.source_id, r) for r in found)
        gone = tuple(g for g in page.gone if g not in records)
        return Page(tuple(records.values()), gone, series=tuple(series))

    def _instances(self, cal: str, master: str, lo: datetime,
                   hi: datetime) -> list[EventRecord] | None:
        """Every live occurrence of ``master`` in [lo, hi); None when the series is gone."""
        out: list[EventRecord] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            req = self._events.instances(calendarId=cal, eventId=master, timeMin=lo.isoformat(),
                                         timeMax=hi.isoformat(), maxResults=self.page_size,
                                         pageToken=token)
            try:
                resp = self._session.caller.execute(req, "events.instances",
                                                    passthrough=(404, 410))
            except HttpError:
                return None
            out += [r for r in self._translate(resp.get("items") or []).records
                    if isinstance(r, EventRecord)]
            token = resp.get("nextPageToken")
            if not token:
                return out
        raise SourceUnavailable(f"calendar {cal!r}: instances paged beyond {MAX_PAGES} pages")

    def _translate(self, items: list[Any]) -> Page:
        horizon = self._now + timedelta(days=self.account.upcoming_days)
        records, gone = [], []
        for item in items:
            if not isinstance(item, dict):
                self.skipped["malformed"] += 1
                continue
            if item.get("status") == "cancelled":
                if isinstance(item.get("id"), str):
                    gone.append(item["id"])
                continue
            record = to_record(item)
            if record is None:
                self.skipped["malformed"] += 1
            elif record.occurrence is not None and record.occurrence > horizon:
                self.skipped["beyond_horizon"] += 1
            else:
                records.append(record)
        return Page(tuple(records), tuple(gone))
