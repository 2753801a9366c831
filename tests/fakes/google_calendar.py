"""The calendars behind the fake Calendar API: single events, endless weekly series with
moved or cancelled occurrences, series cut short, sync tokens (410 when expired) and the rules
of ``events.list`` and ``events.instances``.

A full listing is a snapshot taken at its first page (later pages never shift when events
change meanwhile; the changes come with the sync token). A series cut short (``end_series``)
reports its removed occurrences as cancelled on incremental syncs, but only those within
about six months, as Google does when a series is deleted
(googleapis/google-api-ruby-client/issues/860).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fakes.google_gmail import error

CANCELLED_SPAN = timedelta(days=180)  # how far past the end removed occurrences are reported
FORBIDDEN_WITH_SYNC = ("iCalUID", "orderBy", "privateExtendedProperty", "q",
                       "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin")


def _dt(value: datetime) -> dict[str, str]:
    return {"dateTime": value.isoformat(), "timeZone": "Europe/Paris"}


@dataclass
class Calendar:
    """One calendar. ``now`` bounds how far an endless series is expanded without timeMax."""

    now: datetime
    seq: int = 1
    token_floor: int = 0
    empty_first_page: bool = False
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # singles and masters
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)  # instance id -> event
    changes: list[tuple[int, str]] = field(default_factory=list)
    snapshots: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)

    def _change(self, key: str) -> None:
        self.seq += 1
        self.changes.append((self.seq, key))

    def add(self, eid: str, start: datetime, minutes: int = 30, *, weekly: bool = False,
            **extra: Any) -> None:
        ev = {"kind": "calendar#event", "id": eid, "status": "confirmed",
              "iCalUID": f"{eid}@google.com", "summary": "never read", "start": _dt(start),
              "end": _dt(start + timedelta(minutes=minutes)), **extra}
        if weekly:
            ev["recurrence"] = ["RRULE:FREQ=WEEKLY"]
        self.events[eid] = ev
        self._change(eid)

    def cancel(self, eid: str) -> None:
        if eid in self.events:
            self.events[eid]["status"] = "cancelled"
            self._change(eid)
        else:  # one occurrence of a series
            self.override(eid, status="cancelled")

    def override(self, iid: str, **changes: Any) -> None:
        base = self.overrides.get(iid) or self._instance_by_id(iid)
        self.overrides[iid] = {**base, **changes}
        self._change(iid)

    def respond(self, eid: str, email: str, answer: str) -> None:
        """``email`` answers ``answer`` (``declined``...) to an event or one occurrence."""
        ev = self.events.get(eid) or self.overrides.get(eid) or self._instance_by_id(eid)
        people = [{**a, "responseStatus": answer} if a.get("email") == email else a
                  for a in ev.get("attendees", [])]
        if eid in self.events:
            self.events[eid]["attendees"] = people
            self._change(eid)
        else:
            self.override(eid, attendees=people)

    def end_series(self, eid: str, until: datetime) -> None:
        """Cut series ``eid`` short: no occurrence from ``until`` on (RRULE UNTIL)."""
        self.events[eid]["recurrence"] = [f"RRULE:FREQ=WEEKLY;UNTIL={until:%Y%m%dT%H%M%SZ}"]
        self.events[eid]["_until"] = until
        self._change(eid)

    def expire_tokens(self) -> None:
        """Every sync token handed out so far answers 410; those issued later work."""
        self.seq += 1
        self.token_floor = self.seq

    # -- expansion -------------------------------------------------------------------------
    def _instances(self, master: dict[str, Any], lo: datetime, hi: datetime) -> list[dict]:
        start = datetime.fromisoformat(master["start"]["dateTime"])
        length = datetime.fromisoformat(master["end"]["dateTime"]) - start
        out: list[dict[str, Any]] = []
        k = max(0, (lo - start - length).days // 7)  # no end date: start near the window
        until = master.get("_until")
        while (t := start + timedelta(weeks=k)) < hi:
            iid = f"{master['id']}_{t.astimezone(UTC):%Y%m%dT%H%M%SZ}"
            if until is not None and t >= until:
                if t >= until + CANCELLED_SPAN:
                    break
                out.append({"id": iid, "status": "cancelled", "recurringEventId": master["id"],
                            "originalStartTime": _dt(t)})
            elif master["status"] == "cancelled":
                out.append({"id": iid, "status": "cancelled"})
            elif iid in self.overrides:
                out.append(self.overrides[iid])
            else:
                inst = {k2: v for k2, v in master.items() if k2 not in ("recurrence", "_until")}
                inst.update(id=iid, recurringEventId=master["id"], originalStartTime=_dt(t),
                            start=_dt(t), end=_dt(t + length))
                out.append(inst)
            k += 1
        return out

    def _instance_by_id(self, iid: str) -> dict[str, Any]:
        master = self.events[iid.rsplit("_", 1)[0]]
        return next(i for i in self._instances(master, self.now - timedelta(days=3650),
                                               self.now + timedelta(days=730)) if i["id"] == iid)

    def _expand(self, key: str, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        if key in self.overrides:
            return [self.overrides[key]]
        ev = self.events[key]
        if "recurrence" not in ev:
            return [ev if ev["status"] != "cancelled" else {"id": ev["id"], "status": "cancelled"}]
        return self._instances(ev, lo, hi)

    @staticmethod
    def _live(items: list[dict[str, Any]], lo: datetime, hi: datetime) -> list[dict[str, Any]]:
        """Items not cancelled whose time meets [lo, hi): timeMin bounds the end, timeMax
        the start."""
        return [i for i in items if i["status"] != "cancelled"
                and datetime.fromisoformat(i["start"]["dateTime"]) < hi
                and datetime.fromisoformat(i["end"]["dateTime"]) > lo]

    def instances(self, eid: str, q: dict[str, list[str]]) -> tuple[int, dict]:
        """``events.instances`` of a recurring event in [timeMin, timeMax), paged."""
        master = self.events.get(eid)
        if master is None or "recurrence" not in master:
            return error(404, "Not Found", "notFound")
        if master["status"] == "cancelled":
            return error(410, "Resource has been deleted", "deleted")
        one = {k: v[0] for k, v in q.items()}
        lo = datetime.fromisoformat(one.get("timeMin", (self.now - timedelta(days=3650))
                                           .isoformat()))
        hi = datetime.fromisoformat(one.get("timeMax", (self.now + timedelta(days=730))
                                           .isoformat()))
        items = self._live(self._instances(master, lo, hi), lo, hi)
        size, start = min(int(one.get("maxResults", "250")), 2500), int(one.get("pageToken", "0"))
        body: dict[str, Any] = {"kind": "calendar#events", "items": items[start : start + size]}
        if start + size < len(items):
            body["nextPageToken"] = str(start + size)
        return 200, body

    # -- API -------------------------------------------------------------------------------
    def list(self, q: dict[str, list[str]]) -> tuple[int, dict]:
        one = {k: v[0] for k, v in q.items()}
        if one.get("orderBy") == "startTime" and one.get("singleEvents") != "true":
            return error(400, "The requested ordering is not available for the particular "
                         "query.", "invalid")
        if "pageToken" in one:
            kind, offset, seq, lo_s, hi_s = one["pageToken"].split("|")
            since = int(kind) if kind else None
        else:
            offset, seq = "0", str(self.seq)
            since = None
            if "syncToken" in one:
                if any(k in one for k in FORBIDDEN_WITH_SYNC):
                    return error(400, "Sync token cannot be combined with these parameters.",
                                 "invalid")
                since = int(one["syncToken"].split("-")[1])
                if since < self.token_floor:
                    return error(410, "Sync token is no longer valid, a full sync is required.",
                                 "fullSyncRequired", "calendar")
            lo_s = one.get("timeMin", (self.now - timedelta(days=3650)).isoformat())
            hi_s = one.get("timeMax", (self.now + timedelta(days=730)).isoformat())
        lo, hi = datetime.fromisoformat(lo_s), datetime.fromisoformat(hi_s)
        if since is None:
            snap = (seq, lo_s, hi_s)
            if snap not in self.snapshots:
                self.snapshots[snap] = copy.deepcopy(self._live(
                    [i for key in self.events for i in self._expand(key, lo, hi)], lo, hi))
            items = self.snapshots[snap]
        else:
            keys = dict.fromkeys(k for s, k in self.changes if s > since)
            items = [i for key in keys for i in self._expand(key, lo, hi)]
        size = min(int(one.get("maxResults", "250")), 2500)
        start = int(offset)
        body: dict[str, Any] = {"kind": "calendar#events", "timeZone": "Europe/Paris",
                                "accessRole": "owner", "defaultReminders": []}
        if self.empty_first_page and "pageToken" not in one:
            body["items"], end = [], start
        else:
            body["items"], end = items[start : start + size], start + size
        if end < len(items) or (self.empty_first_page and "pageToken" not in one):
            body["nextPageToken"] = "|".join(
                (str(since) if since is not None else "", str(end), seq, lo_s, hi_s))
        else:
            body["nextSyncToken"] = f"sync-{seq}"
        return 200, body
