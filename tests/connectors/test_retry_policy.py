"""The one retry policy: Retry-After honoured, credential errors never retried, budget ends in
SourceUnavailable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import time_machine

from connectors import retry
from connectors.errors import AuthExpired, SourceUnavailable, Throttled, Transient, Unauthorized


def test_parse_retry_after_forms():
    assert retry.parse_retry_after("2.5") == 2.5
    assert retry.parse_retry_after(None) is None
    assert retry.parse_retry_after("soon") is None
    with time_machine.travel(datetime(2026, 1, 1, 12, tzinfo=UTC), tick=False):
        later = format_datetime(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), usegmt=True)
        assert retry.parse_retry_after(later) == 30.0


def test_throttled_waits_what_the_server_asked_then_succeeds():
    waits: list[float] = []
    calls = iter([Throttled("429", retry_after=7.0), Throttled("429", retry_after=0.5), "ok"])

    def fn():
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    assert retry.call(fn, sleep=waits.append) == "ok"
    assert waits == [7.0, 0.5]


def test_credentials_are_never_retried():
    waits: list[float] = []

    def fn():
        raise AuthExpired("revoked")

    with pytest.raises(AuthExpired):
        retry.call(fn, sleep=waits.append)
    assert waits == []


def test_transient_failures_are_retried_and_other_errors_are_not():
    waits: list[float] = []
    calls = iter([Transient("reset"), Transient("timeout"), "ok"])

    def fn():
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    assert retry.call(fn, sleep=waits.append) == "ok"
    assert len(waits) == 2

    def refused():
        raise Unauthorized("401")  # the caller refreshes the token; no blind retry

    with pytest.raises(Unauthorized):
        retry.call(refused, sleep=waits.append)
    assert len(waits) == 2


def test_spent_budget_becomes_source_unavailable():
    waits: list[float] = []

    def fn():
        raise Throttled("503", retry_after=timedelta(seconds=1).total_seconds())

    with pytest.raises(SourceUnavailable):
        retry.call(fn, attempts=3, sleep=waits.append)
    assert waits == [1.0, 1.0]


def test_non_finite_retry_after_is_ignored():
    assert retry.parse_retry_after("nan") is None
    assert retry.parse_retry_after("inf") is None
