"""State of the fake Graph mailbox: folders, messages, calendar events, a change log, and the
delta rounds (snapshot pages, skip tokens, delta tokens, expiry) built from them."""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

CAL = "calendar"  # change-log key of the calendar; mail keys are folder ids
WELL_KNOWN = {"inbox": "Inbox", "sentitems": "Sent Items", "drafts": "Drafts",
              "deleteditems": "Deleted Items", "junkemail": "Junk Email", "outbox": "Outbox",
              "archive": "Archive", "conversationhistory": "Conversation History"}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def box(address: str, name: str = "") -> dict[str, Any]:
    """A Graph recipient."""
    return {"emailAddress": {"name": name or address, "address": address}}


@dataclass
class Round:
    """One delta round: its items (rendered at the start) and the log position it ends at."""

    key: str
    items: list[dict[str, Any]]
    end_seq: int
    meta: dict[str, str]


@dataclass
class Mailbox:
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[tuple[int, str, str]] = field(default_factory=list)
    rounds: dict[str, Round] = field(default_factory=dict)
    tokens: dict[str, tuple[str, int, dict[str, str]]] = field(default_factory=dict)
    expired_before: int = 0  # delta tokens from before this log position are forgotten
    dead: set[str] = field(default_factory=set)  # skip tokens forgotten
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        for name in ("inbox", "sentitems", "drafts", "deleteditems", "junkemail", "outbox",
                     "archive"):
            self.add_folder(WELL_KNOWN[name], well_known=name)

    # ---- building the mailbox -------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}-" + secrets.token_urlsafe(6)

    def add_folder(self, name: str, parent: str | None = None,
                   well_known: str | None = None) -> str:
        fid = f"AAMk-{well_known}" if well_known else self.new_id("AAMkF")
        self.folders[fid] = {"id": fid, "displayName": name, "parentFolderId": parent or "root",
                             "wellKnown": well_known, "childFolderCount": 0}
        if parent:
            self.folders[parent]["childFolderCount"] += 1
        return fid

    def folder(self, name: str) -> str:
        """The id of a folder by well-known name or display name."""
        for fid, f in self.folders.items():
            if name in (f["wellKnown"], f["displayName"]):
                return fid
        raise KeyError(name)

    def _touch(self, key: str, item_id: str) -> None:
        self.log.append((len(self.log) + 1, key, item_id))

    def add_message(self, folder: str, sender: str = "alice@example.com", to: tuple[str, ...] = (
            "me@contoso.example",), when: datetime | None = None, **extra: Any) -> str:
        with self.lock:
            mid = self.new_id("AAkALg")
            moment = when or datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
            fid = self.folder(folder) if folder not in self.folders else folder
            self.messages[mid] = {
                "@odata.type": "#microsoft.graph.message", "@odata.etag": 'W/"CQAAABYAAAA"',
                "id": mid, "receivedDateTime": iso(moment),
                "sentDateTime": iso(moment - timedelta(seconds=30)),
                "internetMessageId": f"<{mid}@mail.example>", "conversationId": "AAQk" + mid[-8:],
                "parentFolderId": fid, "isDraft": False, "isRead": False,
                "inferenceClassification": "focused", "subject": "never selected",
                "body": {"contentType": "text", "content": "secret"},
                "from": box(sender), "sender": box(sender),
                "toRecipients": [box(a) for a in to], "ccRecipients": [], "bccRecipients": [],
                **extra}
            self._touch(fid, mid)
            return mid

    def move(self, mid: str, folder: str) -> None:
        with self.lock:
            old, new = self.messages[mid]["parentFolderId"], self.folder(folder)
            self.messages[mid]["parentFolderId"] = new
            self._touch(old, mid)
            self._touch(new, mid)

    def change_message(self, mid: str, **changes: Any) -> None:
        """Change a message in place (e.g. ``isDraft=True``): its folder's delta reports it."""
        with self.lock:
            self.messages[mid].update(changes)
            self._touch(self.messages[mid]["parentFolderId"], mid)

    def delete(self, mid: str) -> None:
        with self.lock:
            self._touch(self.messages.pop(mid)["parentFolderId"], mid)

    def add_event(self, start: datetime, minutes: int = 30, **extra: Any) -> str:
        with self.lock:
            eid = self.new_id("AAMkEv")
            end = start + timedelta(minutes=minutes)
            self.events[eid] = {
                "@odata.type": "#microsoft.graph.event", "id": eid, "iCalUId": "040000" + eid,
                "type": "singleInstance", "subject": "never used", "isAllDay": False,
                "isCancelled": False, "isOrganizer": False,
                "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                          "timeZone": "UTC"},
                "end": {"dateTime": end.strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                        "timeZone": "UTC"},
                "responseStatus": {"response": "accepted", "time": "0001-01-01T00:00:00Z"},
                "organizer": box("boss@example.com", "The Boss"), "attendees": [], **extra}
            self._touch(CAL, eid)
            return eid

    def change_event(self, eid: str, **changes: Any) -> None:
        with self.lock:
            self.events[eid].update(changes)
            self._touch(CAL, eid)

    def delete_event(self, eid: str) -> None:
        with self.lock:
            del self.events[eid]
            self._touch(CAL, eid)

    def end_series(self, master: str, after: datetime, *, silently: bool = False) -> list[str]:
        """End the series ``master`` before ``after``: its later occurrences vanish. Graph's
        documentation says delta reports them @removed; experiments (microsoft-graph-docs
        PR 4501) found no sign of them, only the series' remaining occurrences sent again:
        ``silently`` does that. Returns the removed ids."""
        with self.lock:
            mine = [e for e in self.events.values() if e.get("seriesMasterId") == master]
            cut = [e["id"] for e in mine if e["start"]["dateTime"][:19] >= after.strftime(
                "%Y-%m-%dT%H:%M:%S")]
            for eid in cut:
                del self.events[eid]
                if not silently:
                    self._touch(CAL, eid)
            for e in mine:
                if silently and e["id"] not in cut:
                    self._touch(CAL, e["id"])
            return cut

    # ---- delta rounds ---------------------------------------------------------------------
    def _current(self, key: str, meta: dict[str, str]) -> dict[str, dict[str, Any]]:
        if key == CAL:
            lo, hi = meta["start"], meta["end"]
            return {e["id"]: e for e in self.events.values()
                    if lo <= e["start"]["dateTime"][:19] + "Z" < hi}
        return {m["id"]: m for m in self.messages.values() if m["parentFolderId"] == key}

    def start_round(self, key: str, meta: dict[str, str], since: int | None) -> Round:
        """A new round: everything now in ``key`` (since=None), or what changed after ``since``."""
        with self.lock:
            current = self._current(key, meta)
            if since is None:
                items = list(current.values())
            else:
                changed = dict.fromkeys(i for s, k, i in self.log if k == key and s > since)
                items = [current.get(i) or {"id": i, "@removed": {"reason": "deleted"}}
                         for i in changed]
            rid = secrets.token_hex(6)
            self.rounds[rid] = Round(key, [dict(i) for i in items], len(self.log), meta)
            return self._named(rid)

    def _named(self, rid: str) -> Round:
        r = self.rounds[rid]
        r.meta = {**r.meta, "rid": rid}
        return r

    def delta_token(self, r: Round) -> str:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (r.key, r.end_seq, r.meta)
        return token

    def token(self, token: str) -> tuple[str, int, dict[str, str]] | None:
        """A delta token's (key, log position, meta), or None when forgotten."""
        found = self.tokens.get(token)
        return None if found is None or found[1] < self.expired_before else found

    def expire_tokens(self) -> None:
        """Forget every delta token and skip token handed out so far."""
        with self.lock:
            self.expired_before = len(self.log) + 1
            self.dead |= set(self.rounds)
