"""The daemon's exceptions, each carrying what a person needs to fix things.

    KeepwarmError
     ├── ConfigError   a bad or missing config file: ``problems`` are ``file:line: key: message``
     ├── StoreError    the store cannot be opened or migrated
     ├── DeliveryError the summary could not be delivered (``transient``: worth retrying)
     └── UsageError    a command was called wrongly (exit code 2)

Connector failures have their own tree in ``connectors.errors``; both are rendered in one
place, ``daemon.cli`` (and logged by ``daemon.sync.engine``).
"""

from __future__ import annotations


def brief(exc: BaseException) -> str:
    """``exc`` as logs, ``keepwarm status`` and the store may show it: its type and the first
    line of its message. A database error's SQL, parameters and detail lines (addresses and
    names from the mail) never come along; nor does the traceback."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy's wrapper: the driver's own error inside
    inner = orig if isinstance(orig, BaseException) else exc
    text = str(inner).strip().splitlines()
    return f"{type(inner).__name__}: {text[0]}" if text else type(inner).__name__


def with_fix(text: str, fix: str | None) -> str:
    """How an error and its fix read on one line (logs, status, doctor): ``text (fix: fix)``."""
    return text + (f" (fix: {fix})" if fix else "")


class KeepwarmError(Exception):
    """Base of the daemon's errors. ``hint`` says what to do about it."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class ConfigError(KeepwarmError):
    """The configuration is invalid; every problem is one line naming file, line and key."""

    exit_code = 2

    def __init__(self, problems: list[str], *, hint: str = "") -> None:
        super().__init__("\n".join(problems), hint=hint)
        self.problems = problems


class StoreError(KeepwarmError):
    """The store cannot be opened, migrated or written."""


class DeliveryError(KeepwarmError):
    """The summary could not be delivered. ``transient`` errors are worth retrying later."""

    def __init__(self, message: str, *, hint: str = "", transient: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.transient = transient


class UsageError(KeepwarmError):
    """A command was called with arguments that cannot work."""

    exit_code = 2
