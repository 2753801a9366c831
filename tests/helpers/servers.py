"""Where a real server a test needs cannot be started: skip locally, fail under CI.

A developer without Dovecot, Radicale or PostgreSQL still runs the rest of the suite; CI
(``.ci/run`` exports ``KEEPWARM_REQUIRE_SERVERS=1``) must never pass by skipping them.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE = "KEEPWARM_REQUIRE_SERVERS"


def required() -> bool:
    """Whether every real server must be there (CI)."""
    return os.environ.get(REQUIRE, "") not in ("", "0")


def missing(reason: str) -> NoReturn:
    """Skip the test with ``reason``; fail it instead when :func:`required`."""
    if required():
        pytest.fail(f"{reason}; {REQUIRE} is set, so this is a failure, not a skip",
                    pytrace=False)
    pytest.skip(reason)
