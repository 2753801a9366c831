"""A fake Google (Gmail, Calendar, OAuth token endpoint) on 127.0.0.1, speaking the wire
format the real client libraries expect: JSON error bodies, paging tokens, multipart/mixed
batches with ``Content-ID: <response-... + N>``, Retry-After, a per-user quota in units.

Use ``with FakeGoogle() as g:`` then point ``api_endpoint`` at ``g.url`` and ``token_uri`` at
``g.token_uri``. ``g.fail(substring, status, ...)`` scripts faults for matching requests
(batch parts included); ``g.log`` records every (method, path) seen, parts included.
``g.granted`` lists the scopes the consent gave (access tokens carry them); ``messages.send``
needs ``gmail.send`` among them and keeps each message it accepts in ``g.sent`` (raw bytes).
``g.service_account`` (a :class:`~fakes.google_delegation.ServiceAccount`) turns on the
JWT-bearer grant of domain-wide delegation; its tokens act on ``g.member(address)``'s mailbox
and ``g.cals_of[address]``, one per Workspace member, instead of ``g.mail`` and ``g.calendars``.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import itertools
import json
import math
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from fakes.google_batch import serve_batch
from fakes.google_calendar import Calendar
from fakes.google_delegation import JWT_BEARER, ServiceAccount, serve_grant
from fakes.google_gmail import Mailbox, error

COSTS = {"getProfile": 1, "history.list": 2, "messages.list": 5, "messages.get": 5,
         "events.list": 1, "messages.send": 100}
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"

@dataclass
class Fault:
    match: str
    status: int
    times: int
    retry_after: str | None
    reason: str


class FakeGoogle:
    """State and behaviour of the fake; the HTTP plumbing is :class:`_Handler`."""

    def __init__(self, now: datetime | None = None, clock: Callable[[], float] = time.monotonic):
        self.now = now or datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
        self.mail = Mailbox()
        self.calendars: dict[str, Calendar] = {"primary": Calendar(self.now)}
        self.client_id, self.client_secret = "cid.apps.googleusercontent.com", "csecret"
        self.refresh_token = "1//refresh"
        self.revoked = False
        self.access: set[str] = set()
        self.granted: list[str] = ["https://www.googleapis.com/auth/gmail.metadata",
                                   "https://www.googleapis.com/auth/calendar.readonly"]
        self.scopes_of: dict[str, frozenset[str]] = {}  # access token -> its scopes
        self.sent: list[bytes] = []  # RFC 822 bytes of each message accepted by send
        self.service_account: ServiceAccount | None = None  # domain-wide delegation, when set
        self.boxes: dict[str, Mailbox] = {}  # a Workspace member's address -> mailbox
        self.cals_of: dict[str, dict[str, Calendar]] = {}  # ... -> calendars
        self.user_of: dict[str, str] = {}  # a delegated access token -> the member it acts for
        self.token_calls = 0
        self.token_lifetime = 3599  # seconds, as ``expires_in``
        self.token_faults: list[int] = []  # answers before the next good one; 0 drops the line
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str]] = []
        self.batches: list[int] = []  # part count of each batch
        self.requests = self.rejected = 0  # API calls (batch parts counted one by one)
        self.quota: tuple[float, float] | None = None  # (units, seconds) per user
        self.concurrency: int | None = None  # batch parts served at once; the rest refused
        self._clock, self._level, self._stamp = clock, 0.0, clock()
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_port}/"
        self.token_uri = self.url + "token"

    def __enter__(self) -> FakeGoogle:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- test controls ---------------------------------------------------------------------
    def fail(self, match: str, status: int, *, times: int = 1, retry_after: str | None = None,
             reason: str = "rateLimitExceeded") -> None:
        self.faults.append(Fault(match, status, times, retry_after, reason))

    def set_quota(self, units: float, seconds: float) -> None:
        self.quota, self._level, self._stamp = (units, seconds), units, self._clock()

    def member(self, address: str) -> Mailbox:
        """A Workspace member's mailbox (made on first use, with a primary calendar); message
        ids differ from other mailboxes', as Gmail's do."""
        self.cals_of.setdefault(address, {"primary": Calendar(self.now)})
        if address not in self.boxes:
            base = 0x18C0000000000000 + (len(self.boxes) + 1) << 32
            self.boxes[address] = Mailbox(address=address, _ids=itertools.count(base))
        return self.boxes[address]

    def token_info(self, **extra: Any) -> dict[str, Any]:
        """What ``keepwarm auth`` would have stored (no access token: refreshed on use)."""
        return {"refresh_token": self.refresh_token, "client_id": self.client_id,
                "client_secret": self.client_secret, "token_uri": "https://wrong.invalid/",
                "scopes": list(self.granted), **extra}

    # -- request handling --------------------------------------------------------------------
    def token(self, form: dict[str, list[str]]) -> tuple[int, dict, dict]:
        with self.lock:
            self.token_calls += 1
            if self.token_faults:
                status = self.token_faults.pop(0)
                if status == 0:
                    raise ConnectionAbortedError("token endpoint dropped the connection")
                return status, {"error": "backendError"}, {}
            if form.get("grant_type") == [JWT_BEARER]:
                return serve_grant(self, form)
            if (form.get("grant_type") != ["refresh_token"] or self.revoked
                    or form.get("refresh_token") != [self.refresh_token]):
                return 400, {"error": "invalid_grant",
                             "error_description": "Token has been expired or revoked."}, {}
            tok = "ya29." + uuid.uuid4().hex
            self.access.add(tok)
            self.scopes_of[tok] = frozenset(self.granted)
        return 200, {"access_token": tok, "expires_in": self.token_lifetime, "token_type": "Bearer",
                     "scope": " ".join(self.granted)}, {}

    def api(self, method: str, target: str, headers: dict[str, str],
            body: bytes = b"") -> tuple[int, dict, dict]:
        """One API call (alone or as a batch part): auth, faults, quota, then routing."""
        url = urlsplit(target)
        path, q = unquote(url.path), parse_qs(url.query)
        with self.lock:
            self.log.append((method, target))
            self.requests += 1
            auth = headers.get("authorization", "")
            tok = auth.removeprefix("Bearer ")
            if tok not in self.access:
                return (*error(401, "Request had invalid authentication credentials.",
                               "authError"), {})
            for f in self.faults:
                if f.times > 0 and f.match in target:
                    f.times -= 1
                    self.rejected += f.status in (403, 429)
                    extra = {"Retry-After": f.retry_after} if f.retry_after else {}
                    return (*error(f.status, "Quota exceeded for quota metric 'Queries' and limit "
                                   "'Queries per minute per user'", f.reason, "usageLimits"), extra)
            route, call = self._route(path, q, method, body, tok)
            wait = self._take(COSTS.get(route, 5)) if not route.startswith("events.") else 0.0
            if wait:
                self.rejected += 1
                return (*error(429, "Too many concurrent requests for user", "rateLimitExceeded",
                               "usageLimits"), {"Retry-After": str(max(1, math.ceil(wait)))})
            status, answer = call()
        return status, answer, {}

    def _route(self, path: str, q: dict[str, list[str]], method: str = "GET", body: bytes = b"",
               tok: str = "") -> tuple[str, Callable[[], Any]]:
        parts = path.strip("/").split("/")
        user = self.user_of.get(tok, "")
        mail, cals = self.boxes.get(user, self.mail), self.cals_of.get(user, self.calendars)
        if parts[:2] == ["gmail", "v1"] and parts[2:4] == ["users", "me"]:
            rest = parts[4:]
            if method == "POST" and rest == ["messages", "send"]:
                return "messages.send", lambda: self._send_message(body, tok)
            if rest == ["profile"]:
                return "getProfile", mail.profile
            if rest == ["messages"]:
                return "messages.list", lambda: mail.list(q)
            if len(rest) == 2 and rest[0] == "messages":
                return "messages.get", lambda: mail.get(rest[1], q)
            if rest == ["history"]:
                return "history.list", lambda: mail.history_list(q)
        if (parts[:3] == ["calendar", "v3", "calendars"] and len(parts) >= 7
                and parts[-3] == "events" and parts[-1] == "instances"):
            cal = cals.get("/".join(parts[3:-3]))
            if cal is not None:
                return "events.instances", lambda: cal.instances(parts[-2], q)
        if parts[:3] == ["calendar", "v3", "calendars"] and parts[-1] == "events":
            cal = cals.get("/".join(parts[3:-1]))
            if cal is not None:
                return "events.list", lambda: cal.list(q)
        return "unknown", lambda: error(404, "Not Found", "notFound")

    def _send_message(self, body: bytes, tok: str) -> tuple[int, dict]:
        """``users.messages.send`` with a JSON ``{"raw": base64url}`` body (no media upload)."""
        if GMAIL_SEND not in self.scopes_of.get(tok, frozenset()):
            status, err = error(403, "Request had insufficient authentication scopes.",
                                "insufficientPermissions")
            err["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                        "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                                        "domain": "googleapis.com"}]
            return status, err
        try:
            data = base64.urlsafe_b64decode(json.loads(body)["raw"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return error(400, "Invalid value for ByteString", "invalidArgument")
        if not data.strip():
            return error(400, "Recipient address required", "invalidArgument")
        self.sent.append(data)
        msg = email.message_from_bytes(data, policy=email.policy.default)
        box = self.boxes.get(self.user_of.get(tok, ""), self.mail)
        mid = box.add(self.now, [(k, str(v)) for k, v in msg.items()], labels=("SENT",))
        return 200, {"id": mid, "threadId": mid, "labelIds": ["SENT"]}

    def _take(self, units: float) -> float:
        """Spend units from the per-user bucket; seconds to wait when they are not there."""
        if self.quota is None:
            return 0.0
        cap, seconds = self.quota
        now = self._clock()
        self._level = min(cap, self._level + (now - self._stamp) * cap / seconds)
        self._stamp = now
        if self._level < units:
            return (units - self._level) * seconds / cap
        self._level -= units
        return 0.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Google

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK
        # add ~40 ms to every response.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, obj: dict, extra: dict[str, str]) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json; charset=UTF-8", extra)

    def do_GET(self) -> None:
        fake: FakeGoogle = self.server.fake  # type: ignore[attr-defined]
        hdrs = {k.lower(): v for k, v in self.headers.items()}
        self._json(*fake.api("GET", self.path, hdrs))

    def do_POST(self) -> None:
        fake: FakeGoogle = self.server.fake  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        path = urlsplit(self.path).path
        if path == "/token":
            try:
                self._json(*fake.token(parse_qs(body.decode())))
            except ConnectionAbortedError:
                self.close_connection = True
                self.request.shutdown(socket.SHUT_RDWR)
        elif path in ("/batch", "/batch/gmail/v1", "/batch/calendar/v3"):
            status, data, ctype = serve_batch(fake, self.headers.get("Content-Type", ""), body)
            self._send(status, data, ctype, {})
        elif path.endswith("/messages/send"):
            hdrs = {k.lower(): v for k, v in self.headers.items()}
            self._json(*fake.api("POST", self.path, hdrs, body))
        else:
            self._json(404, {"error": {"code": 404, "message": "Not Found"}}, {})
