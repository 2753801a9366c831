"""Exceptions a connector raises, each carrying what a person needs to fix things.

    ConnectorError
     ├── AuthExpired        credentials refused for good: never retried, account -> needs_reauth
     ├── MailboxRefused     the app is kept out of one mailbox: never retried, account ->
     │                      refused (an administrator's rule) or error (no such mailbox),
     │                      naming the fix; the other accounts go on
     ├── Unauthorized       a 401: the caller refreshes the token once, then raises AuthExpired
     ├── CursorExpired      the cursor is too old upstream: the engine drops it and resyncs fully
     ├── SourceUnavailable  the retry budget is spent (network, 5xx, throttling)
     ├── Throttled          429/503 with an optional Retry-After; retried by the one policy
     ├── Transient          a failure safe to repeat (reset, timeout, a 5xx that changed nothing);
     │                      retried by the one policy
     ├── GraphError         a Graph answer its caller may handle (404, 410 with Location, 400 …)
     └── BadArchive         a local archive cannot be opened at all

``Unauthorized``, ``Throttled`` and ``Transient`` stay inside a connector: the one policy in
:mod:`connectors.retry` retries the last two and turns a spent budget into ``SourceUnavailable``.
The others reach the sync engine and the CLI, which render ``hint``.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector failure. ``hint`` says what to do about it."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class AuthExpired(ConnectorError):
    """The account's credentials were refused for good (revoked, expired consent)."""


class MailboxRefused(ConnectorError):
    """An organisation-wide app was refused one member's mailbox (a Graph application access
    policy leaving it out). Not AuthExpired: no sign-in fixes it, only the administrator;
    ``administrator`` is False when the mailbox does not exist (the address may be wrong)."""

    def __init__(self, message: str, *, hint: str = "", administrator: bool = True) -> None:
        super().__init__(message, hint=hint)
        self.administrator = administrator


class Unauthorized(ConnectorError):
    """401: the access token was refused; refresh it once before giving up."""


class CursorExpired(ConnectorError):
    """The stored cursor is no longer accepted upstream; a full resync is needed."""


class SourceUnavailable(ConnectorError):
    """The source could not be reached within the retry budget."""


class Throttled(ConnectorError):
    """The server asked us to slow down; ``retry_after`` is in seconds when it said so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Transient(ConnectorError):
    """A failure worth another attempt: the request never took effect (connection refused or
    reset, timeout, DNS) or repeating it is harmless (a 5xx or garbled answer to a GET)."""


class GraphError(ConnectorError):
    """A Graph answer the caller may handle (404, 410 with Location, 400 syncStateNotFound)."""

    def __init__(self, status: int, code: str, message: str, location: str | None) -> None:
        super().__init__(f"Graph {status} {code}: {message}")
        self.status, self.code, self.location = status, code, location


class BadArchive(ConnectorError):
    """A local archive path is missing or unreadable."""
