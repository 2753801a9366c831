"""Exceptions a connector raises, each carrying what a person needs to fix things.

    ConnectorError
     ├── AuthExpired        credentials refused for good: never retried, account -> needs_reauth
     ├── CursorExpired      the cursor is too old upstream: the engine drops it and resyncs fully
     ├── SourceUnavailable  the retry budget is spent (network, 5xx, throttling)
     ├── Throttled          429/503 with an optional Retry-After; retried by the one policy
     └── BadArchive         a local archive cannot be opened at all
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector failure. ``hint`` says what to do about it."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class AuthExpired(ConnectorError):
    """The account's credentials were refused for good (revoked, expired consent)."""


class CursorExpired(ConnectorError):
    """The stored cursor is no longer accepted upstream; a full resync is needed."""


class SourceUnavailable(ConnectorError):
    """The source could not be reached within the retry budget."""


class Throttled(ConnectorError):
    """The server asked us to slow down; ``retry_after`` is in seconds when it said so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BadArchive(ConnectorError):
    """A local archive path is missing or unreadable."""
