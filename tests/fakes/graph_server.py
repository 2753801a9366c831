"""A fake Microsoft Graph (v1.0 mail folders, message delta, calendarView delta) plus identity
endpoint on 127.0.0.1, speaking the real wire format: @odata.nextLink/@odata.deltaLink,
@removed, Prefer headers, Graph error bodies, 429 with fractional Retry-After, 410 + Location
or 400 syncStateNotFound for forgotten delta tokens, 401 for unknown access tokens, and
``POST /me/sendMail`` (MIME as base64 text/plain, or a JSON message) -> 202, kept in ``sent``;
403 ErrorAccessDenied when the access token lacks Mail.Send.

Organisation-wide (app-only) tokens read ``/users/{address}/...``: each user in ``users`` has
a mailbox of their own, served like ``/me``'s; the token's ``roles`` must hold the application
permission of the resource, and ``policy`` (when set) is the application access policy: the
users it allows; any other mailbox answers 403 ErrorAccessDenied "Access to OData is
disabled.", as Exchange does. Calendars.ReadBasic.All is not among the permissions such a
policy covers (Microsoft's "Limiting application permissions to specific Exchange Online
mailboxes"), so a calendar read through it alone is not refused. An app token on ``/me``
gets Graph's 400."""

from __future__ import annotations

import base64
import binascii
import json
import re
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from fakes.graph_identity import FakeIdentity, Reply
from fakes.graph_mailbox import CAL, Mailbox, Round

MESSAGE_FIELDS = {"from", "sender", "toRecipients", "ccRecipients", "bccRecipients", "replyTo",
                  "receivedDateTime", "sentDateTime", "internetMessageId", "conversationId",
                  "parentFolderId", "inferenceClassification", "isDraft", "isRead",
                  "categories", "subject", "internetMessageHeaders"}


# resource under /users/{id} -> application permissions (lower case) that allow reading it
APP_ROLES = {
    "mailFolders": {"mail.readbasic.all", "mail.read", "mail.readwrite"},
    "messages": {"mail.readbasic.all", "mail.read", "mail.readwrite"},
    "calendarView": {"calendars.readbasic.all", "calendars.read", "calendars.readwrite"},
    "sendMail": {"mail.send"},
}


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"code": code, "message": message,
                      "innerError": {"date": "2025-03-01T09:00:00", "request-id": "fake"}}}
    return status, {"Content-Type": "application/json", **(headers or {})}, \
        json.dumps(body).encode()


@dataclass
class Fault:
    match: str
    status: int
    retry_after: str | None
    code: str
    times: int


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK
        # add ~40 ms to every keep-alive response.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.fake.respond(method, self.path, self.headers, body)
        if status == 0:  # hang up without an answer
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(payload))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeGraph


class FakeGraph:
    """The fake service. ``mailbox`` holds the data, ``identity`` the sign-in state."""

    def __init__(self, tls: ssl.SSLContext | None = None, identity: FakeIdentity | None = None,
                 mailbox: Mailbox | None = None) -> None:
        self.identity = identity or FakeIdentity()
        self.mailbox = mailbox or Mailbox()
        self.users: dict[str, Mailbox] = {}  # lower-case address -> that user's mailbox
        self.policy: set[str] | None = None  # application access policy: users allowed
        self._local = threading.local()  # the mailbox of the request a thread serves
        self.expiry = "410"  # how forgotten tokens are answered: "410" or a 400 error code
        self.empty_first_page = False  # rounds open with an empty page that has a nextLink
        self.replay = False  # each page repeats the previous page's last item
        self.page_cap = 1000  # the most items a page holds, whatever the client prefers
        self.after_page: Callable[[int], None] | None = None  # called with the count of
        # delta pages served so far, after each one: the mailbox may change between pages
        self.pages_served = 0
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self.selects: list[str] = []
        self.sent: list[bytes | dict[str, Any]] = []  # MIME bytes, or the JSON of sendMail
        self.missing_immutable = 0
        self.in_flight = self.max_in_flight = 0
        self._lock = threading.Lock()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.fake = self
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
        scheme = "https" if tls else "http"
        self.base = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> FakeGraph:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def authority(self) -> str:
        return f"{self.base}/{self.identity.tenant}"

    @property
    def box(self) -> Mailbox:
        """The mailbox of the request this thread serves: ``/me``'s or one user's."""
        found: Mailbox | None = getattr(self._local, "box", None)
        return found or self.mailbox

    def add_user(self, address: str) -> Mailbox:
        """A user of the tenant with an empty mailbox of their own."""
        return self.users.setdefault(address.lower(), Mailbox())

    def inject(self, match: str, status: int = 429, *, retry_after: str | None = None,
               code: str = "TooManyRequests", times: int = 1) -> None:
        """Answer the next ``times`` Graph requests whose path contains ``match`` with an error."""
        self.faults.append(Fault(match, status, retry_after, code, times))

    def graph_count(self, part: str = "") -> int:
        return sum(1 for m, p in self.requests if p.startswith("/v1.0") and part in p)

    # ---- dispatch -------------------------------------------------------------------------
    def respond(self, method: str, target: str, headers: Any, body: bytes) -> Reply:
        url = urlsplit(target)
        with self._lock:
            self.requests.append((method, target))
        if self.identity.handles(url.path):
            form = dict(parse_qsl(body.decode()))
            return self.identity.handle(method, url.path, form, self.base)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self._graph(url.path, dict(parse_qsl(url.query)), headers, method, body)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _fault(self, path: str) -> Reply | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.match in path:
                    fault.times -= 1
                    extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    return error(fault.status, fault.code, "Please retry again later.", extra)
        return None

    def _graph(self, path: str, q: dict[str, str], headers: Any, method: str = "GET",
               body: bytes = b"") -> Reply:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.identity.access:
            return error(401, "InvalidAuthenticationToken",
                         "Access token has expired or is not yet valid.")
        fault = self._fault(path)
        if fault:
            return fault
        parts = [unquote(p) for p in path.split("/")[2:]]
        box, parts, refused = self._mailbox(parts, auth[7:])
        if refused is not None:
            return refused
        self._local.box = box
        try:
            if method == "POST":
                return self._send_mail(parts, auth[7:], headers.get("Content-Type", ""), body)
            prefer = ",".join(headers.get_all("Prefer") or [])
            immutable = 'IdType="ImmutableId"' in prefer
            self.missing_immutable += not immutable
            size = re.search(r"odata\.maxpagesize=(\d+)", prefer)
            with box.lock:
                return self._route(path, parts, q, int(size.group(1)) if size else 0, immutable)
        finally:
            self._local.box = None

    def _mailbox(self, parts: list[str], token: str
                 ) -> tuple[Mailbox, list[str], Reply | None]:
        """Whose mailbox ``parts`` names, and the path under it as ``me/...``; or the refusal."""
        roles = self.identity.roles_of.get(token)  # None: a person's (delegated) token
        if parts[:1] == ["me"]:
            if roles is not None:
                return self.mailbox, parts, error(400, "BadRequest", "/me request is only "
                                                  "valid with delegated authentication flow.")
            return self.mailbox, parts, None
        if parts[:1] != ["users"] or len(parts) < 3:
            return self.mailbox, parts, None
        user, rest = parts[1].lower(), ["me", *parts[2:]]
        box = self.users.get(user)
        if box is None:
            return self.mailbox, rest, error(404, "ErrorInvalidUser",
                                             f"The requested user '{parts[1]}' is invalid.")
        need = APP_ROLES.get(parts[2], set())
        if roles is None or not roles & need:
            return box, rest, error(403, "ErrorAccessDenied",
                                    "Access is denied. Check credentials and try again.")
        scoped = not (parts[2] == "calendarView" and roles & need <= {"calendars.readbasic.all"})
        if scoped and self.policy is not None and user not in {u.lower() for u in self.policy}:
            return box, rest, error(403, "ErrorAccessDenied", "Access to OData is disabled.")
        return box, rest, None

    def _route(self, path: str, parts: list[str], q: dict[str, str], size: int,
               immutable: bool) -> Reply:
        box = self.box
        if parts[:2] == ["me", "mailFolders"]:
            fid = self._folder_id(parts[2]) if len(parts) > 2 else "root"
            if fid is None:
                return error(404, "ErrorItemNotFound", "The specified object was not found.")
            if len(parts) == 2 or parts[3:] == ["childFolders"]:
                return self._folders(path, fid, q)
            if len(parts) == 3:
                return _ok(_project(self._folder_json(fid), q.get("$select")))
            if parts[3:] == ["messages", "delta"]:
                return self._delta(path, fid, q, size or 10, immutable)
        if parts[:2] == ["me", "messages"] and len(parts) == 3:
            msg = box.messages.get(parts[2])
            if msg is None:
                return error(404, "ErrorItemNotFound", "The specified object was not found.")
            return _ok(_project(msg, q.get("$select")))
        if parts == ["me", "calendarView", "delta"]:
            return self._delta(path, CAL, q, size or 10, immutable)
        return error(400, "BadRequest", f"Resource not found for the segment '{parts[-1]}'.")

    def _send_mail(self, parts: list[str], token: str, ctype: str, body: bytes) -> Reply:
        if parts != ["me", "sendMail"]:
            return error(405, "Request_BadRequest", "Specified HTTP method is not allowed.")
        granted = self.identity.scopes_of.get(token) or self.identity.roles_of.get(token)
        if "mail.send" not in (granted or set()):
            return error(403, "ErrorAccessDenied", "Access is denied. Check credentials and "
                         "try again.")
        if ctype.split(";")[0].strip() == "text/plain":
            try:
                mime = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                mime = b""
            if not mime:
                return error(400, "ErrorMimeContentInvalidBase64String",
                             "Invalid base64 string for MIME content.")
            got: bytes | dict[str, Any] = mime
        else:
            try:
                got = json.loads(body)["message"]
            except (ValueError, KeyError, TypeError):
                return error(400, "ErrorInvalidRequest", "Cannot read the request body.")
        with self._lock:
            self.sent.append(got)
        return 202, {}, b""

    def _folder_id(self, ref: str) -> str | None:
        for fid, f in self.box.folders.items():
            if ref in (fid, f["wellKnown"]):
                return fid
        return None

    def _folder_json(self, fid: str) -> dict[str, Any]:
        f = self.box.folders[fid]
        count = sum(1 for m in self.box.messages.values() if m["parentFolderId"] == fid)
        return {"id": fid, "displayName": f["displayName"], "parentFolderId": f["parentFolderId"],
                "childFolderCount": f["childFolderCount"], "unreadItemCount": 0,
                "totalItemCount": count, "isHidden": False}

    def _folders(self, path: str, parent: str, q: dict[str, str]) -> Reply:
        kids = [self._folder_json(fid) for fid, f in self.box.folders.items()
                if f["parentFolderId"] == parent]
        top, skip = int(q.get("$top", 10)), int(q.get("$skip", 0))
        page: dict[str, Any] = {"value": [_project(k, q.get("$select"))
                                          for k in kids[skip:skip + top]]}
        if skip + top < len(kids):
            page["@odata.nextLink"] = self.base + path + "?" + urlencode(
                {**q, "$top": top, "$skip": skip + top})
        return _ok(page)

    # ---- delta ----------------------------------------------------------------------------
    def _delta(self, path: str, key: str, q: dict[str, str], size: int,
               immutable: bool) -> Reply:
        box, size = self.box, min(size, self.page_cap)
        if "$deltatoken" in q:
            found = box.token(q["$deltatoken"])
            if found is None:
                return self._expired(path, box.tokens.get(q["$deltatoken"], ("", 0, {}))[2])
            r, offset, opened = box.start_round(key, found[2], found[1]), 0, False
        elif "$skiptoken" in q:
            rid, off, flag = q["$skiptoken"].split(".")
            if rid not in box.rounds or rid in box.dead:
                meta = box.rounds[rid].meta if rid in box.rounds else {}
                return self._expired(path, meta)
            r, offset, opened = box.rounds[rid], int(off), flag == "1"
        else:
            initial = self._initial_meta(key, q)
            if isinstance(initial, tuple):
                return initial
            r, offset, opened = box.start_round(key, initial, None), 0, False
        reply = _ok(self._page(path, r, offset, opened, size, immutable))
        self.pages_served += 1
        if self.after_page is not None:
            self.after_page(self.pages_served)
        return reply

    def _initial_meta(self, key: str, q: dict[str, str]) -> dict[str, str] | Reply:
        if key != CAL:
            select = q.get("$select", "")
            self.selects.append(select)
            unknown = set(filter(None, select.split(","))) - MESSAGE_FIELDS
            if unknown:
                return error(400, "RequestBroker--ParseUri",
                             f"Could not find a property named '{sorted(unknown)[0]}'.")
            return {"select": select}
        if "$select" in q or "$filter" in q:
            return error(400, "ErrorInvalidUrlQuery", "The following parameters are not "
                         "supported with change tracking over the 'Events' resource: '$select'.")
        if "startDateTime" not in q or "endDateTime" not in q:
            return error(400, "ErrorInvalidParameter", "This request requires a time window "
                         "specified by the query string parameters StartDateTime and EndDateTime.")
        return {"start": q["startDateTime"], "end": q["endDateTime"]}

    def _page(self, path: str, r: Round, offset: int, opened: bool, size: int,
              immutable: bool) -> dict[str, Any]:
        rid, link = r.meta["rid"], self.base + path
        if self.empty_first_page and not opened and offset == 0 and r.items:
            return {"value": [], "@odata.nextLink": f"{link}?$skiptoken={rid}.0.1"}
        items = r.items[offset:offset + size]
        if self.replay and offset > 0:
            items = [r.items[offset - 1], *items]
        page: dict[str, Any] = {"@odata.context": f"{self.base}/v1.0/$metadata#Collection",
                                "value": [self._render(r, i, immutable) for i in items]}
        if offset + size < len(r.items):
            page["@odata.nextLink"] = f"{link}?$skiptoken={rid}.{offset + size}.1"
        else:
            page["@odata.deltaLink"] = f"{link}?$deltatoken={self.box.delta_token(r)}"
        return page

    def _render(self, r: Round, item: dict[str, Any], immutable: bool) -> dict[str, Any]:
        out = item if r.key == CAL or "@removed" in item else _project(item, r.meta["select"])
        if not immutable and r.key != CAL:  # default ids embed the folder: they change on move
            out = {**out, "id": f"{item['id']}~{item.get('parentFolderId', r.key)}"}
        return out

    def _expired(self, path: str, meta: dict[str, str]) -> Reply:
        if self.expiry != "410":
            return error(400, self.expiry, "The sync state is not found or has expired.")
        if "start" in meta:
            query = urlencode({"startDateTime": meta["start"], "endDateTime": meta["end"]})
        else:
            query = urlencode({"$select": meta.get("select", "")})
        return error(410, "resyncRequired", "Resync required.",
                     {"Location": f"{self.base}{path}?{query}"})


def _project(item: dict[str, Any], select: str | None) -> dict[str, Any]:
    if not select:
        return dict(item)
    keep = {"id", "@odata.type", "@odata.etag", *select.split(",")}
    return {k: v for k, v in item.items() if k in keep}


def _ok(body: dict[str, Any]) -> Reply:
    return 200, {"Content-Type": "application/json;odata.metadata=minimal"}, \
        json.dumps(body).encode()
