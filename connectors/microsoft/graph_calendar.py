"""The Outlook calendar stream: calendarView delta over [now - look-back, now + 60 days], one
EventRecord per occurrence; the window moves forward when it has fallen a week behind."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from connectors.base import Attendee, Cursor, EventRecord, Listing, Page, Skips, Source
from connectors.errors import CursorExpired, GraphError
from connectors.microsoft.graph_http import GraphHttp
from connectors.microsoft.graph_mail import expired
from connectors.microsoft.records import email_address, instant, text, zoned

log = logging.getLogger(__name__)

UPCOMING = timedelta(days=60)
SLACK = timedelta(days=7)  # how far the window may lag before a new round moves it
PAGE_SIZE = 200
_RESPONSES = {"accepted": "accepted", "declined": "declined", "tentativelyaccepted": "tentative",
              "notresponded": "needs-action", "none": "none", "organizer": "accepted"}


def response(value: object) -> str:
    """Graph ``responseStatus`` (any case) -> iCalendar PARTSTAT vocabulary."""
    raw = value.get("response") if isinstance(value, dict) else None
    return _RESPONSES.get(str(raw or "none").lower(), "none")


def _person(entry: object, me: set[str], skipped: Counter[str]) -> Attendee | None:
    pair = email_address(entry, skipped)
    if pair is None:
        return None
    name, address = pair
    resource = isinstance(entry, dict) and str(entry.get("type", "")).lower() == "resource"
    status = entry.get("status") if isinstance(entry, dict) else None
    return Attendee(address, name, response(status), address.lower() in me, resource)


def event_record(item: dict[str, Any], me: set[str], skipped: Counter[str]) -> EventRecord | None:
    """One event occurrence as an EventRecord; the user's own response comes from the event's
    ``responseStatus`` (added as a self attendee when the list does not name the user)."""
    if str(item.get("type", "")).lower() == "seriesmaster":  # calendarView lists occurrences
        skipped["series_master"] += 1
        return None
    start, end = zoned(item.get("start"), skipped), zoned(item.get("end"), skipped)
    own = "accepted" if item.get("isOrganizer") else response(item.get("responseStatus"))
    organizer = _person(item.get("organizer"), me, skipped)
    if organizer is not None:
        organizer = Attendee(organizer.address, organizer.name, "accepted",
                             organizer.is_self or item.get("isOrganizer") is True)
    attendees: list[Attendee] = []
    for entry in item.get("attendees") or []:
        person = _person(entry, me, skipped)
        if person is not None:
            if person.is_self:
                person = Attendee(person.address, person.name, own, True, person.is_resource)
            attendees.append(person)
    selves = [a for a in attendees if a.is_self] or ([organizer] if organizer and
                                                      organizer.is_self else [])
    if not selves and me:
        attendees.append(Attendee(min(me), "", own, is_self=True))
    return EventRecord(
        source_id=str(item["id"]), uid=text(item.get("iCalUId")),
        occurrence=instant(item.get("originalStart")) or start, start=start, end=end,
        all_day=item.get("isAllDay") is True,
        status="cancelled" if item.get("isCancelled") is True else "confirmed",
        organizer=organizer, attendees=tuple(attendees))


class CalendarSource(Source):
    """``NAME/calendar``: the default calendar's occurrences within the moving window.

    A round that starts from the window's initial link (no cursor, an expired delta link, a
    moved window) lists the window: its first page carries ``Listing(start, end)``, exactly
    the calendarView window asked for, so meetings before it are never forgotten. A delta
    round that shows a recurring series changed is followed by such a listing: Graph may not
    report the occurrences a shortened series lost (microsoft-graph-docs PR 4501).
    """

    def __init__(self, key: str, http: GraphHttp, *, lookback_days: int,
                 now: Callable[[], datetime], me: Callable[[], set[str]]) -> None:
        self.key, self.http, self.lookback = key, http, timedelta(days=lookback_days)
        self._now, self._me = now, me
        self.skipped = Skips()

    def pages(self, cursor: Cursor | None) -> Iterator[Page]:
        """Resume the round in ``cursor``; a lagging window first catches up on deletions with
        one more round over the old window, then lists the new one."""
        state = self._load(cursor)
        if state is None or state["phase"] == "fresh":  # list today's window, not an old one
            state = self._fresh()
        then = state["phase"] == "delta" and self._stale(state)
        follow: dict[str, str] | None = state
        while follow is not None:
            follow = yield from self._round(follow, then)
            then = False

    def _fresh(self) -> dict[str, str]:
        now = self._now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = (now - self.lookback).isoformat(), (now + UPCOMING).isoformat()
        query = urlencode({"startDateTime": start.replace("+00:00", "Z"),
                           "endDateTime": end.replace("+00:00", "Z")})
        link = self.http.url(f"{self.http.mailbox}/calendarView/delta?{query}")
        return {"link": link, "start": start, "end": end, "phase": "fresh"}

    def _stale(self, state: dict[str, str]) -> bool:
        now = self._now()
        start, end = datetime.fromisoformat(state["start"]), datetime.fromisoformat(state["end"])
        return end < now + UPCOMING - SLACK or start > now - self.lookback + SLACK

    def _round(self, state: dict[str, str], relist: bool) -> Generator[Page, None,
                                                                        dict[str, str] | None]:
        """One round to its deltaLink. Returns the fresh state to list next (the round's last
        cursor already names it) when ``relist`` or a changed series asks for one, else None.
        Phases: ``fresh`` (initial link), ``listing`` (inside a listing), ``next`` (inside a
        delta round), ``delta`` (round done)."""
        prefer = (f"odata.maxpagesize={PAGE_SIZE}", 'outlook.timezone="UTC"')
        restarted = False
        listing = self._listing(state)
        lists = state["phase"] in ("fresh", "listing")
        relist = relist or "relist" in state  # a series changed before the process stopped
        while True:
            try:
                body = self.http.get(state["link"], prefer=prefer)
            except GraphError as exc:
                if not expired(exc) or restarted:
                    raise
                state, restarted, lists = self._fresh(), True, True
                listing = self._listing(state)
                log.info("calendar delta token expired, new round stream=%s", self.key)
                continue
            records, gone, series = self._parse(body.get("value") or [])
            relist = relist or (series and not lists)
            next_link = body.get("@odata.nextLink")
            more = isinstance(next_link, str)
            following = self._fresh() if relist and not lists and not more else None
            state = following or {
                **state, "link": str(next_link if more else body.get("@odata.deltaLink")
                                     or state["link"]),
                "phase": ("listing" if lists else "next") if more else "delta"}
            if relist and more:
                state["relist"] = "1"
            if records or gone or not more:
                yield Page(tuple(records), tuple(gone), json.dumps({"v": 1, **state}),
                           self.skipped.take(), listing=listing)
                listing = None
            if not more:
                return following

    @staticmethod
    def _listing(state: dict[str, str]) -> Listing | None:
        if state["phase"] != "fresh":
            return None
        return Listing(datetime.fromisoformat(state["start"]),
                       datetime.fromisoformat(state["end"]))

    def _parse(self, items: list[Any]) -> tuple[list[EventRecord], list[str], bool]:
        """Records, gone ids, and whether a recurring series changed."""
        me = {a.lower() for a in self._me()}
        records: dict[str, EventRecord] = {}
        gone: dict[str, None] = {}
        series = False
        for item in items:
            sid = item.get("id") if isinstance(item, dict) else None
            if not isinstance(sid, str):
                self.skipped["no_id"] += 1
                continue
            if "@removed" in item or item.get("isCancelled") is True:
                # cancelled by its organiser, Graph keeps it visible: it no longer counts
                if "@removed" not in item:
                    self.skipped["cancelled"] += 1
                records.pop(sid, None)
                gone[sid] = None
                continue
            gone.pop(sid, None)
            series = series or bool(item.get("seriesMasterId")) or str(
                item.get("type", "")).lower() in ("occurrence", "exception", "seriesmaster")
            record = event_record(item, me, self.skipped)
            if record is not None:
                records[sid] = record
        return list(records.values()), list(gone), series

    @staticmethod
    def _load(cursor: Cursor | None) -> dict[str, str] | None:
        if cursor is None:
            return None
        try:
            data = json.loads(cursor)
            if data.pop("v") != 1:
                raise ValueError("unknown cursor version")
            datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"])
            state = {k: str(data[k]) for k in ("link", "start", "end", "phase", "relist")
                     if k in data or k != "relist"}
            if state["phase"] not in ("fresh", "listing", "next", "delta"):
                raise ValueError("unknown phase")
            return state
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CursorExpired("unreadable Microsoft calendar cursor") from exc
