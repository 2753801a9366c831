"""The daemon's weekly side: a member's summary job under its lease, and the send itself.

Mixed into :class:`daemon.service.scheduler.Daemon`, whose state it reads. A job syncs the
member's accounts (each under its own lease), then sends the summary if owed. Taking over a
summary lease that expired in a dead replica's hands passes ``orphan`` on to the ledger, which
settles the week that replica left ``sending`` (see :mod:`daemon.summary.claims`). The sync of
one account and the send itself go through the Daemon's :meth:`_sync_one` and
:meth:`_send_one`: in its worker thread, or in a child process (:mod:`.children`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.triggers.cron import CronTrigger

from connectors.base import Env
from daemon.clock import wall_time, zone
from daemon.config import Config
from daemon.service import work
from daemon.service.heartbeat import Heartbeat
from daemon.service.tenancy import Tenancy
from daemon.service.work import Member
from daemon.store import sent
from daemon.summary import due
from daemon.summary.slots import this_week

if TYPE_CHECKING:
    from daemon.sync.outcome import AccountResult

log = logging.getLogger(__name__)

RETRY_AFTER = due.RETRY_AFTER
FALLBACK_AFTER = timedelta(hours=1)


class WeeklyJobs:
    """The summary half of the daemon (attributes are the Daemon's)."""

    members: dict[str, Member]
    tenancy: Tenancy
    heartbeat: Heartbeat
    stop: threading.Event
    env: Env
    clock: Callable[[], datetime]

    def _status(self, member: Member, results: list[AccountResult]) -> None:
        raise NotImplementedError

    def _sync_one(self, member: Member, account: str) -> list[AccountResult]:
        raise NotImplementedError

    def _send_one(self, member: Member, fired: datetime | None, orphan: bool) -> None:
        raise NotImplementedError

    def _summary(self, member: Member, fired: datetime | None, *, sync: bool = False) -> None:
        """Under the member's summary lease: sync (``sync``), then send what is owed. Taking
        over a lease that expired in a dead replica's hands settles its unfinished send."""
        with self.tenancy.hold(member.summary_lease) as taken:
            if not taken.won:
                log.debug("summary %s skipped: another replica has it (%s)", member.name,
                          taken.other)
                return
            if sync:
                self._status(member, self._sync_all(member))
            if not self.stop.is_set():
                died = taken.other is not None and taken.other.replica != self.tenancy.replica
                self._send_one(member, fired, died)

    def _sync_all(self, member: Member) -> list[AccountResult]:
        """Each enabled account of ``member`` whose lease this replica gets."""
        results: list[AccountResult] = []
        for account in (a for a in member.config.accounts if a.enabled):
            if self.stop.is_set():
                break
            with self.tenancy.hold(work.sync_lease(account.name)) as taken:
                if not taken.won:
                    log.debug("sync %s skipped: another replica has it (%s)", account.name,
                              taken.other)
                    continue
                results.extend(self._sync_one(member, account.name))
            if results and results[-1].store_failed:  # the next would fail the same way
                break
        return results

    def _overdue(self, member: Member) -> bool:
        """Send on a sync tick: a due retry, or a summary still owed an hour past its slot."""
        now, config = self.clock(), member.config
        if config.delivery.method == "none":
            return False
        label, slot = this_week(config.report, now)
        if due.owed(member.store, config.report, now) is None:
            return False
        late = now.astimezone(UTC) >= (slot + FALLBACK_AFTER).astimezone(UTC)
        return late or sent.week(member.store, label) is not None  # a retry is due


def summary_trigger(config: Config) -> CronTrigger:
    """The weekly slot as a cron trigger in the user's zone (DST-aware via zoneinfo)."""
    r = config.report
    at = wall_time(r.time)
    return CronTrigger(day_of_week=r.weekday, hour=at.hour, minute=at.minute,
                       timezone=zone(r.timezone))
