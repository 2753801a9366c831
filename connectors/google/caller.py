"""Calling Google APIs: error translation, quota spending, retries and batches.

Every request goes through :class:`Caller`: it spends quota units first, executes with the
client library's own retries off (they ignore Retry-After and never look inside a batch),
translates failures into connector errors, and retries through ``connectors.retry``.
Batches resend only their refused parts, in smaller batches when the server refuses parts
for concurrency; a part answered 404 (deleted between list and get) is reported as missing,
never fatal.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError
from googleapiclient.http import HttpRequest

from connectors import retry
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    SourceUnavailable,
    Throttled,
    Transient,
)
from connectors.google.batch import FastBatch
from connectors.google.credentials import TokenEndpointBusy
from connectors.google.quota import BatchSize, QuotaLimiter

RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
QUOTA_REASONS = frozenset({"userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"})


def retry_after(resp: Any) -> float | None:
    """Seconds from the ``Retry-After`` header of an httplib2 response, if any."""
    return retry.parse_retry_after(resp.get("retry-after") if resp is not None else None)


def reasons(err: HttpError) -> set[str]:
    """The ``errors[].reason`` values of a Google error body (empty when unreadable)."""
    try:
        body = json.loads(err.content.decode("utf-8", "replace"))
        return {str(e.get("reason")) for e in body["error"].get("errors", [])}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()


def is_rate_limited(err: HttpError) -> bool:
    """429, 5xx, or a 403 whose reason is a rate limit: Google says to back off and retry."""
    status = err.resp.status
    return status == 429 or status >= 500 or (status == 403 and bool(reasons(err) & RATE_REASONS))


def over_quota(err: HttpError) -> bool:
    """Whether a refusal says the rate is above the quota (a wait named, a quota reason or
    message), rather than too many requests at once."""
    if retry_after(err.resp) is not None or reasons(err) & QUOTA_REASONS:
        return True
    return b"quota" in (err.content or b"").lower()


class Caller:
    """Runs requests for one account: quota first, then the one retry policy."""

    def __init__(
        self,
        *,
        name: str,
        limiter: QuotaLimiter | None,
        sleep: Callable[[float], None],
        attempts: int = 8,
        on_auth_error: Callable[[RefreshError], AuthExpired],
        auth_hint: str | None = None,
    ) -> None:
        self.name = name
        self.limiter = limiter
        self.sleep = sleep
        self.attempts = attempts
        self.on_auth_error = on_auth_error
        self.auth_hint = auth_hint or f"keepwarm auth {name}"  # what fixes refused credentials
        self.sent = 0  # HTTP requests sent, batches counting once
        self.sizes = BatchSize()

    def translate(self, err: HttpError) -> Exception:
        """A connector error for an HTTP error that no caller handles itself."""
        status = err.resp.status
        if is_rate_limited(err):
            return Throttled(f"HTTP {status} from Google", retry_after=retry_after(err.resp))
        why = reasons(err) if status == 403 else set()
        if status == 401 or why & {"insufficientPermissions", "authError"}:
            return AuthExpired(
                f"Google refused the credentials of account {self.name!r} (HTTP {status})",
                hint=self.auth_hint,
            )
        if "accessNotConfigured" in why:  # a project setting, not the user's sign-in
            return ConnectorError(
                f"the Google API is not enabled for the OAuth client's project ({self.name!r})",
                hint="enable the Gmail API and the Google Calendar API in the Google Cloud "
                     "console (APIs & Services, Library), then sync again",
            )
        if status == 403:
            return ConnectorError(f"Google refused the request (HTTP 403: "
                                  f"{', '.join(sorted(why)) or 'no reason given'})",
                                  hint="see the log; retried on the next sync")
        return SourceUnavailable(f"HTTP {status} from Google", hint="see the log; retried later")

    def _spend(self, method: str, calls: int = 1) -> None:
        if self.limiter is not None:
            self.limiter.spend_for(method, calls)

    def _send(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` once, mapping transport and credential failures."""
        self.sent += 1
        try:
            return fn()
        except RefreshError as exc:
            if getattr(exc, "retryable", False):
                raise Transient(str(exc)) from exc
            raise self.on_auth_error(exc) from exc
        except TokenEndpointBusy as exc:
            raise Transient(str(exc)) from exc
        except (TimeoutError, TransportError, httplib2.HttpLib2Error, ConnectionError) as exc:
            raise Transient(type(exc).__name__) from exc

    def execute(
        self, request: HttpRequest, method: str, *, passthrough: Sequence[int] = ()
    ) -> Any:
        """Execute one request under quota and retry. Errors whose status is in
        ``passthrough`` are raised as :class:`HttpError` for the caller to handle."""

        def attempt() -> Any:
            self._spend(method)
            try:
                answer = self._send(lambda: request.execute(num_retries=0))
            except HttpError as err:
                if err.resp.status in passthrough and not is_rate_limited(err):
                    raise
                if is_rate_limited(err):
                    self._paced(err)
                raise self.translate(err) from err
            self._paced(None)
            return answer

        return retry.call(attempt, attempts=self.attempts, sleep=self.sleep)

    def batch(
        self, requests: dict[str, HttpRequest], method: str, batch_uri: str
    ) -> tuple[dict[str, Any], set[str]]:
        """Run ``requests`` (id -> request) as batches; resend only refused parts.

        Returns (responses by id, ids answered 404). Parts refused for concurrency go again at
        once, in batches no bigger than what went through (:class:`BatchSize`); when nothing
        went through, or the server names a wait (Retry-After), the retry policy waits first,
        honouring the longest one. Refusals for quota also slow the limiter down.
        """
        done: dict[str, Any] = {}
        missing: set[str] = set()
        pending = dict(requests)
        while pending:  # each round that makes progress starts a fresh retry budget
            retry.call(lambda: self._round(pending, done, missing, method, batch_uri),
                       attempts=self.attempts, sleep=self.sleep)
        return done, missing

    def _round(self, pending: dict[str, HttpRequest], done: dict[str, Any], missing: set[str],
               method: str, batch_uri: str) -> None:
        """Send one batch from the front of ``pending``, moving what was answered out of it."""
        chunk = dict(itertools.islice(pending.items(), self.sizes.take(len(pending))))
        self._spend(method, len(chunk))
        refused: list[HttpError] = []
        outcomes = (self._run_one(*next(iter(chunk.items()))) if len(chunk) == 1
                    else self._run_batch(chunk, batch_uri))
        for rid, response, err in outcomes:
            if err is None:
                done[rid] = response
            elif err.resp.status == 404:
                missing.add(rid)
            elif is_rate_limited(err):
                refused.append(err)
                continue
            else:
                raise self.translate(err)
            pending.pop(rid, None)
        if not refused:
            self.sizes.clean(len(chunk))
            self._paced(None)
            return
        self.sizes.refused(len(chunk), len(chunk) - len(refused))
        for err in refused:
            self._paced(err)
        waits = [w for w in (retry_after(e.resp) for e in refused) if w is not None]
        if waits or len(refused) == len(chunk):
            raise Throttled(f"{len(refused)} of a batch rate-limited",
                            retry_after=max(waits) if waits else None)

    def _paced(self, err: HttpError | None) -> None:
        """Tell the limiter how the server took the last request: fine (None) or refused."""
        if self.limiter is None:
            return
        if err is None:
            self.limiter.recover()
        elif over_quota(err):
            self.limiter.slow_down()

    def _run_one(self, rid: str, req: HttpRequest) -> list[tuple[str, Any, HttpError | None]]:
        """A lone part goes as a plain request: cheaper than a batch of one."""
        try:
            return [(rid, self._send(lambda: req.execute(num_retries=0)), None)]
        except HttpError as exc:
            return [(rid, None, exc)]

    def _run_batch(
        self, pending: dict[str, HttpRequest], batch_uri: str
    ) -> list[tuple[str, Any, HttpError | None]]:
        outcomes: list[tuple[str, Any, HttpError | None]] = []
        batch = FastBatch(
            callback=lambda rid, resp, err: outcomes.append((rid, resp, err)),
            batch_uri=batch_uri,
        )
        for rid, req in pending.items():
            batch.add(req, request_id=rid)
        try:
            self._send(batch.execute)
        except HttpError as err:
            raise self.translate(err) from err
        return outcomes
