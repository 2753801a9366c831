"""What a sync reports: each stream's and each account's result, and how a failure is put into
words once, for the account row, the log and ``keepwarm sync``."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from connectors.errors import ConnectorError
from daemon.errors import brief, with_fix
from daemon.store import faults
from daemon.store.vocab import AccountStatus

log = logging.getLogger("daemon.sync.engine")  # one logger for the whole sync, as before


@dataclass
class StreamResult:
    """One stream's run: what it read, wrote, skipped (per reason) and forgot."""

    key: str
    records: int = 0
    touchpoints: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    complete: bool = False
    forgotten: int = 0  # stored items a completed listing no longer named


@dataclass
class AccountResult:
    """One account's run: its status, the error and its fix, and its streams."""

    name: str
    status: AccountStatus = AccountStatus.OK
    error: str | None = None
    fix: str | None = None  # what to do about ``error``
    streams: list[StreamResult] = field(default_factory=list)
    stopped: bool = False  # ended early by ``stop``: resumable, but not a complete sync
    store_failed: bool = False  # the store could not record the run: the sync stops here


def describe(exc: Exception, what: str, name: str, url: str) -> tuple[str, str | None]:
    """The error as the account stores it, and its fix. A connector's own error carries both;
    anything else is logged once: one line for a store or file fault (locked, full, damaged,
    read-only: :mod:`daemon.store.faults`; a statement's parameters are mail data, never
    logged), the traceback for the rest, which is a bug worth reporting."""
    if isinstance(exc, ConnectorError):
        return str(exc), exc.hint or None
    if (fault := faults.explained(exc, url)) is not None:
        log.error("sync failed %s=%s: %s", what, name, with_fix(str(fault), fault.hint))
        return str(fault), fault.hint or None
    log.exception("sync failed %s=%s", what, name)
    return brief(exc), None

