"""The mailbox behind the fake Gmail API: messages, history, and the wire shapes of
``getProfile``, ``messages.list``, ``messages.get`` (metadata only) and ``history.list``.

Handlers return ``(status, body dict)``; errors use Google's error-body shape.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def error(status: int, message: str, reason: str, domain: str = "global") -> tuple[int, dict]:
    """A Google JSON error body."""
    names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
             404: "NOT_FOUND", 410: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED"}
    return status, {"error": {"code": status, "message": message,
                              "errors": [{"message": message, "domain": domain, "reason": reason}],
                              "status": names.get(status, "INTERNAL")}}


NOT_FOUND = error(404, "Requested entity was not found.", "notFound")


@dataclass
class Message:
    id: str
    thread_id: str
    internal_ms: int
    labels: list[str]
    headers: list[tuple[str, str]]
    history_id: int = 0
    raw: dict[str, Any] | None = None  # replaces the whole resource (malformed API output)


@dataclass
class Mailbox:
    """Messages and the history log of one user."""

    address: str = "me@example.com"
    history_id: int = 1000
    history_floor: int = 0  # startHistoryId below this -> 404 (expired)
    messages: dict[str, Message] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(0x18C0000000000000))
    _listed: tuple[Any, list[Message]] = (None, [])
    stuck_token: bool = False  # a misbehaving server: the same nextPageToken every time

    # -- mutations (each one writes history, like Gmail) ---------------------------------
    def _bump(self, **record: Any) -> None:
        self.history_id += 1 + (self.history_id % 3)  # ids rise with gaps
        self.history.append({"id": self.history_id, **record})

    def add(self, when: datetime, headers: list[tuple[str, str]] | None = None,
            labels: tuple[str, ...] = ("INBOX",), *, id: str | None = None,
            thread: str | None = None, raw: dict[str, Any] | None = None) -> str:
        mid = id or format(next(self._ids), "x")
        msg = Message(mid, thread or mid, int(when.timestamp() * 1000), list(labels),
                      headers if headers is not None else default_headers(mid), raw=raw)
        self.messages[mid] = msg
        self._bump(added=mid)
        msg.history_id = self.history_id
        return mid

    def delete(self, mid: str) -> None:
        self.messages.pop(mid)
        self._bump(deleted=mid)

    def label(self, mid: str, *labels: str) -> None:
        self.messages[mid].labels.extend(labels)
        self._bump(label_added=mid, labels=list(labels))

    def unlabel(self, mid: str, *labels: str) -> None:
        msg = self.messages[mid]
        msg.labels = [x for x in msg.labels if x not in labels]
        self._bump(label_removed=mid, labels=list(labels))

    def expire_history(self) -> None:
        self.history_floor = self.history_id  # only the current id stays valid

    # -- API -------------------------------------------------------------------------------
    def profile(self) -> tuple[int, dict]:
        return 200, {"emailAddress": self.address, "messagesTotal": len(self.messages),
                     "threadsTotal": len(self.messages), "historyId": str(self.history_id)}

    def list(self, q: dict[str, list[str]]) -> tuple[int, dict]:
        if "q" in q:
            return error(403, "Metadata scope does not support 'q' parameter", "forbidden")
        size = min(int(q.get("maxResults", ["100"])[0]), 500)
        start = int(q.get("pageToken", ["0"])[0])
        hidden = set() if q.get("includeSpamTrash") == ["true"] else {"SPAM", "TRASH"}
        want = set(q.get("labelIds", []))
        key = (self.history_id, frozenset(hidden), frozenset(want))
        if self._listed[0] != key:  # sorting 20,000 messages per page would dominate a bench
            found = [m for m in self.messages.values()
                     if not hidden & set(m.labels) and want <= set(m.labels)]
            found.sort(key=lambda m: (-m.internal_ms, m.id))
            self._listed = (key, found)
        found = self._listed[1]
        page = found[start : start + size]
        body: dict[str, Any] = {"messages": [{"id": m.id, "threadId": m.thread_id} for m in page],
                                "resultSizeEstimate": len(found)}
        if start + size < len(found):
            body["nextPageToken"] = str(start + size)
        if self.stuck_token:
            body["nextPageToken"] = "0"
        if not page:
            del body["messages"]
        return 200, body

    def get(self, mid: str, q: dict[str, list[str]]) -> tuple[int, dict]:
        fmt = q.get("format", ["full"])[0]
        if fmt not in ("metadata", "minimal"):
            return error(403, f"Metadata scope doesn't allow format {fmt.upper()}", "forbidden")
        msg = self.messages.get(mid)
        if msg is None:
            return NOT_FOUND
        if msg.raw is not None:
            return 200, msg.raw
        want = {h.lower() for h in q.get("metadataHeaders", [])}
        headers = [{"name": n, "value": v} for n, v in msg.headers if not want or n.lower() in want]
        return 200, {"id": msg.id, "threadId": msg.thread_id, "labelIds": msg.labels,
                     "snippet": "", "sizeEstimate": 2048, "historyId": str(msg.history_id),
                     "internalDate": str(msg.internal_ms),
                     "payload": {"partId": "", "mimeType": "text/plain", "filename": "",
                                 "headers": headers}}

    def history_list(self, q: dict[str, list[str]]) -> tuple[int, dict]:
        start = int(q["startHistoryId"][0])
        if start < self.history_floor:
            return NOT_FOUND
        size = min(int(q.get("maxResults", ["100"])[0]), 500)
        offset = int(q.get("pageToken", ["0"])[0])
        types = set(q.get("historyTypes", [])) or {"messageAdded", "messageDeleted",
                                                    "labelAdded", "labelRemoved"}
        recs = [self._wire(r) for r in self.history if r["id"] > start]
        recs = [r for r in recs if r.pop("_type") in types]
        body: dict[str, Any] = {"historyId": str(self.history_id)}
        if recs[offset : offset + size]:
            body["history"] = recs[offset : offset + size]
        if offset + size < len(recs):
            body["nextPageToken"] = str(offset + size)
        return 200, body

    def _wire(self, r: dict[str, Any]) -> dict[str, Any]:
        mid = r.get("added") or r.get("deleted") or r.get("label_added") or r["label_removed"]
        ref = {"id": mid, "threadId": mid}
        out: dict[str, Any] = {"id": str(r["id"]), "messages": [ref]}
        if "added" in r:
            out.update(messagesAdded=[{"message": ref}], _type="messageAdded")
        elif "deleted" in r:
            out.update(messagesDeleted=[{"message": ref}], _type="messageDeleted")
        elif "label_added" in r:
            out.update(labelsAdded=[{"message": ref, "labelIds": r["labels"]}], _type="labelAdded")
        else:
            out.update(labelsRemoved=[{"message": ref, "labelIds": r["labels"]}],
                       _type="labelRemoved")
        return out


def default_headers(mid: str) -> list[tuple[str, str]]:
    return [("From", "Alice Example <alice@example.org>"), ("To", "me@example.com"),
            ("Subject", "never requested"), ("Date", "Mon, 6 Jan 2025 10:00:00 +0000"),
            ("Message-ID", f"<{mid}@mail.example.org>"), ("Received", "from x by y")]
