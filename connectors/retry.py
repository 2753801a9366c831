"""The one retry policy for every network connector (tenacity), honouring Retry-After.

Retried: :class:`~connectors.errors.Throttled`, :class:`~connectors.errors.Transient` and the
library errors a caller names as transient.
Never retried: :class:`~connectors.errors.AuthExpired` and anything else. When the budget is
spent the last error is re-raised as :class:`~connectors.errors.SourceUnavailable`.

Beside it, the one rule for when an access token is due for refresh (:func:`refresh_margin`),
shared by the Google and Microsoft sign-ins.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity

from connectors.errors import AuthExpired, SourceUnavailable, Throttled, Transient

T = TypeVar("T")

_backoff = tenacity.wait_exponential_jitter(initial=1, max=60)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta seconds (Graph sends fractions) or an
    HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError, OverflowError):
        return None


def _wait(state: tenacity.RetryCallState) -> float:
    """Retry-After when the server gave one, else exponential backoff with jitter."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, Throttled) and exc.retry_after is not None:
        return min(max(exc.retry_after, 0.0), 300.0)
    return float(_backoff(state))


def policy(
    *,
    transient: tuple[type[BaseException], ...] = (),
    attempts: int = 8,
    sleep: Callable[[float], None] = time.sleep,
) -> tenacity.Retrying:
    """A ``Retrying`` for one request. ``sleep`` is injectable so tests never wait."""
    retryable: tuple[type[BaseException], ...] = (Throttled, Transient, *transient)

    def _should(exc: BaseException) -> bool:
        return isinstance(exc, retryable) and not isinstance(exc, AuthExpired)

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(_should),
        wait=_wait,
        stop=tenacity.stop_after_attempt(attempts),
        sleep=sleep,
        reraise=False,
        retry_error_callback=_give_up,
    )


def _give_up(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    raise SourceUnavailable(
        f"gave up after {state.attempt_number} attempts: {exc}",
        hint="the service is busy or unreachable; the next sync resumes from the last page",
    ) from exc


def call(fn: Callable[[], T], **kwargs: object) -> T:
    """Run ``fn`` under :func:`policy` (keyword arguments go to the policy)."""
    return policy(**kwargs)(fn)  # type: ignore[arg-type]


REFRESH_MARGIN = 300.0  # seconds before expiry that an access token is refreshed


def refresh_margin(lifetime: float | None) -> float:
    """Seconds before expiry to refresh a token that lives ``lifetime`` seconds (None:
    unknown): :data:`REFRESH_MARGIN`, or half the lifetime when that is shorter, so that a
    5-minute token is not refreshed before every request."""
    return REFRESH_MARGIN if lifetime is None else min(REFRESH_MARGIN, lifetime / 2)
