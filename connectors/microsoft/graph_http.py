"""GET requests to Microsoft Graph: bearer tokens, immutable ids, the one retry policy,
Retry-After, at most four requests in flight per mailbox, and Graph error bodies -> our errors."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from connectors import retry
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    GraphError,
    Throttled,
    Transient,
    Unauthorized,
)

for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

MAX_IN_FLIGHT = 4  # Outlook allows 4 concurrent requests per app per mailbox
_THROTTLED = {429, 503, 504}
_DENIED = {"ErrorAccessDenied", "Authorization_RequestDenied", "AccessDenied",
           "ErrorInvalidUser"}


T = TypeVar("T")


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (see ``connectors.retry.parse_retry_after``)."""
    return retry.parse_retry_after(value)


def refreshing(run: Callable[[bool], T], hint: str) -> T:
    """``run(False)``; after a 401 once more as ``run(True)``, forcing a token refresh (the
    cached token may have been revoked early or rotated); a second 401 is AuthExpired."""
    try:
        return run(False)
    except Unauthorized:
        try:
            return run(True)
        except Unauthorized:
            raise AuthExpired("Graph refused the access token", hint=hint) from None


def graph_error(resp: httpx.Response) -> tuple[str, str]:
    try:
        err = resp.json().get("error") or {}
        return str(err.get("code", "")), str(err.get("message", ""))
    except (ValueError, AttributeError):
        return "", resp.reason_phrase


class GraphHttp:
    """A sync httpx client for one mailbox, shared by its mail and calendar streams.

    ``mailbox`` is the path the mailbox's resources hang under: ``/me`` for a signed-in
    person, ``/users/{address}`` for an organisation's app. ``refused(code, message)`` makes
    the error for a 403 access refusal (default AuthExpired with ``hint``) and, when given, for
    a mailbox that does not exist; once refused, every later request of the mailbox fails the
    same way without being sent."""

    def __init__(self, root: str, token: Callable[[bool], str], *, hint: str,
                 sleep: Callable[[float], None] = time.sleep, attempts: int = 8,
                 transport: httpx.BaseTransport | None = None, mailbox: str = "/me",
                 refused: Callable[[str, str], ConnectorError] | None = None,
                 gate: Callable[[], None] | None = None) -> None:
        self.root = root.rstrip("/")
        self.mailbox = mailbox
        self._gate = gate  # the app's budget shared across replicas (Env.gate), or None
        self._token, self._hint = token, hint
        self._refuse = refused
        self._refused: ConnectorError | None = None
        self.sleep, self.attempts = sleep, attempts
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        self._client = httpx.Client(
            timeout=httpx.Timeout(60.0, connect=20.0), transport=transport,
            limits=httpx.Limits(max_connections=MAX_IN_FLIGHT))
        self._count_lock = threading.Lock()
        self.requests = 0

    def url(self, path: str) -> str:
        """``path`` under the Graph root, or ``path`` itself when it is a full link on the
        same host (a link elsewhere would carry our bearer token off to it)."""
        if not path.startswith(("https://", "http://")):
            return self.root + path
        if urlsplit(path).netloc != urlsplit(self.root).netloc:
            raise ConnectorError("Graph returned a link to another host",
                                 hint="check graph_endpoint in the config")
        return path

    def get(self, path: str, *, params: dict[str, str] | None = None,
            prefer: Iterable[str] = ()) -> dict[str, Any]:
        """GET one JSON document, retrying throttling and transient failures."""
        if self._refused is not None:
            raise self._refused
        headers = [("Prefer", 'IdType="ImmutableId"'), *(("Prefer", p) for p in prefer)]
        url = self.url(path)
        return refreshing(lambda force: self._retrying(url, params, headers, force), self._hint)

    def _retrying(self, url: str, params: dict[str, str] | None,
                  headers: list[tuple[str, str]], refresh: bool) -> dict[str, Any]:
        forced = [refresh]

        def attempt() -> dict[str, Any]:
            token = self._token(forced[0])
            forced[0] = False
            if self._gate is not None:
                self._gate()
            with self._slots:
                with self._count_lock:
                    self.requests += 1
                resp = self._client.get(url, params=params, headers=[
                    *headers, ("Authorization", f"Bearer {token}")])
            return self._check(resp)

        return retry.call(attempt, transient=(httpx.TransportError,),
                          attempts=self.attempts, sleep=self.sleep)

    def _check(self, resp: httpx.Response) -> dict[str, Any]:
        status = resp.status_code
        if status == 200:
            try:
                body = json.loads(resp.content)
            except ValueError as exc:
                raise Transient("unreadable JSON body") from exc
            if not isinstance(body, dict):
                raise Transient("JSON body is not an object")
            return body
        code, message = graph_error(resp)
        if status in _THROTTLED:
            raise Throttled(f"Graph {status} {code}",
                            retry_after=retry_after(resp.headers.get("Retry-After")))
        if status == 401:
            raise Unauthorized(code)
        # An app reading /users/{address}: no such user answers 404 ErrorInvalidUser.
        if (status == 403 and code in _DENIED) or (self._refuse and code == "ErrorInvalidUser"):
            self._refused = (self._refuse(code, message) if self._refuse is not None
                             else AuthExpired(f"Graph denied access ({code})", hint=self._hint))
            raise self._refused
        if status >= 500:
            raise Transient(f"Graph {status} {code}")
        raise GraphError(status, code, message, resp.headers.get("Location"))

    def close(self) -> None:
        self._client.close()
