"""The daemon's jobs without their heavy work: the scheduler, the leases, the status, the stop.

Jobs are rebuilt from the config at start and on SIGHUP (in-memory job store), for every
member of a team config (one member, ``me``, for a single user; see :mod:`.work`)::

    sync:NAME        every [daemon] sync_interval (jittered), one per enabled account
    summary[:MEMBER] cron [report] weekday/time in the member's [report] timezone: sync the
                     member's accounts, then send the member's summary if owed
    catch-up[:MEMBER] once at start (and reload) when this week's summary is owed already

Jobs run on ``[daemon] workers`` threads (1 on SQLite, 4 on PostgreSQL by default), each
under the lease of its work in the store (``sync:NAME``, ``summary:MEMBER``;
:mod:`daemon.service.tenancy`): two workers, or two replicas on one PostgreSQL store, never
sync one account or send one summary at once, and work another replica holds is skipped. A
sync tick also sends its member's summary if still owed an hour past its slot or after a
failed delivery, at most every ``RETRY_AFTER`` (:mod:`daemon.service.weekly`). The main thread
waits for signals, pings the watchdog (withheld while a job is stuck,
:mod:`daemon.service.heartbeat`) and renews the replica's leases. After the last running job
the store's pooled connections are closed and memory is given back.

The work itself (one account's sync, one member's send: :meth:`Jobs._sync_one`,
:meth:`Jobs._send_one`) is a subclass's: :class:`daemon.service.scheduler.Daemon` does it in
the worker threads; :class:`daemon.service.children.Supervisor` (``keepwarm run``) in a child
process per piece of work, so that its own process, on a light store handle
(:mod:`daemon.store.light`), never imports SQLAlchemy, the connectors' clients or numpy.
This module imports none of them.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from connectors.base import Env
from daemon.clock import now_utc, wall_time
from daemon.config import INTERVAL, Config, parse_duration
from daemon.errors import StoreError, with_fix
from daemon.service import work
from daemon.service.heartbeat import Heartbeat
from daemon.service.lifecycle import Lifecycle
from daemon.service.memory import release_memory
from daemon.service.notify import Notifier
from daemon.service.tenancy import Stop, Tenancy
from daemon.service.weekly import WeeklyJobs, summary_trigger
from daemon.service.work import Member
from daemon.store import faults
from daemon.store.vocab import AccountStatus
from daemon.summary import due

if TYPE_CHECKING:
    from daemon.sync.engine import Engine
    from daemon.sync.outcome import AccountResult

log = logging.getLogger("daemon.service.scheduler")  # its lines, named as before the split
__all__ = ["Jobs", "WorkFault"]


class WorkFault(StoreError):
    """A store fault met by work done in another process, already in words and with its fix
    (:mod:`daemon.service.children`)."""


class Jobs(WeeklyJobs, Lifecycle):
    """The scheduler, its jobs and their shared state, on ``store`` (a full store, or a light
    handle: :mod:`daemon.store.sql`). ``clock`` and ``heartbeat`` are injectable so tests can
    move time."""

    def __init__(self, config: Config, store: Any, env: Env, *,
                 notifier: Notifier | None = None, clock: Callable[[], datetime] = now_utc,
                 heartbeat: Heartbeat | None = None) -> None:
        self.config, self.store, self.env = config, store, env
        self.notifier = notifier or Notifier()
        self.heartbeat = heartbeat or Heartbeat()
        self._withheld = False  # the watchdog ping is being withheld: a job is stuck
        self.clock = clock
        self.stop = Stop()  # also set, for that job only, in a job whose lease was lost
        self.tenancy = Tenancy(store, lambda: self.clock(), self.stop,
                               parse_duration(config.daemon.lease_ttl, INTERVAL))
        self.members = work.members(config, store, self._engine)
        self._running = 0  # jobs running now; shutdown waits until none is
        self._idle = threading.Condition()
        self.workers = config.daemon.workers or (1 if store.sqlite else 4)
        self.scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(self.workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def _engine(self, store: Any, config: Config) -> Engine:
        """A member's sync engine (built on first use, by the daemon that syncs in-process)."""
        raise NotImplementedError

    def _stop_work(self) -> None:
        """Stop work still running once the stop grace has passed (child processes)."""

    # -- jobs ---------------------------------------------------------------------------------

    def schedule(self) -> None:
        """(Re)build every job from the current config."""
        self.scheduler.remove_all_jobs()
        every = parse_duration(self.config.daemon.sync_interval, INTERVAL)
        jitter = int(min(60.0, every.total_seconds() / 10))
        start = self.clock()
        accounts = [a for m in self.members.values() for a in m.config.accounts if a.enabled]
        # One replica on SQLite starts first syncs 2 s apart. Replicas sharing PostgreSQL start
        # them at once (the workers bound how many run), each from its own random place in the
        # list, so that replicas do not all queue for the same leases and more replicas sync more.
        gap = timedelta(seconds=2 if self.store.sqlite else 0)
        if not self.store.sqlite and accounts:
            turn = random.randrange(len(accounts))
            accounts = accounts[turn:] + accounts[:turn]
        for i, account in enumerate(accounts):
            self.scheduler.add_job(
                self.sync_tick, IntervalTrigger(seconds=int(every.total_seconds()),
                                                jitter=jitter or None, timezone=UTC),
                args=[account.name], id=f"sync:{account.name}", name=f"sync {account.name}",
                next_run_time=start + gap * i)
        for member in self.members.values():
            if member.config.delivery.method == "none":
                continue
            r = member.config.report
            at = wall_time(r.time)
            self.scheduler.add_job(
                self.summary_job, summary_trigger(member.config), args=[member.name],
                id=member.job_id("summary"), name=f"{member.label('summary')} {r.weekday} "
                f"{at.hour:02d}:{at.minute:02d} {r.timezone}")
            if due.owed(member.store, r, start) is not None:
                log.info("this week's summary is owed: catching up now member=%s", member.name)
                self.scheduler.add_job(self.summary_job, args=[member.name],
                                       id=member.job_id("catch-up"), next_run_time=start)

    def sync_tick(self, name: str) -> None:
        """Interval job: sync one account, then send its member's summary if it is overdue
        (or settle one whose sender died mid-send)."""
        member = self._owner(name)
        if member is None:  # gone from the config since the job was scheduled
            return

        def body() -> None:
            with self.tenancy.hold(work.sync_lease(name)) as taken:
                if taken.won:
                    self._status(member, self._sync_one(member, name))
                else:
                    log.debug("sync %s skipped: another replica has it (%s)", name, taken.other)
            now = self.clock()
            if self._overdue(member) or work.orphaned(member, now):
                self._summary(member, None)
        self._job(f"sync {name}", body)

    def summary_job(self, member: str | None = None) -> None:
        """Cron job: sync the member's enabled accounts (failures isolated), then send their
        summary if owed; every member when ``member`` is None."""
        fired = self.clock()  # the week is the slot's, even if the sync runs past midnight
        for each in self.members.values():
            if member is None or each.name == member:
                self._job(each.label("summary"),
                          functools.partial(self._summary, each, fired, sync=True))

    def _job(self, name: str, body: Callable[[], None]) -> None:
        """Run one job; the last one running gives back the store's connections and the
        freed memory. A store that broke under it (damaged, locked, disk full) is one log
        line with its fix and the next tick tries again; anything else is a bug and keeps
        its traceback."""
        with self._idle:
            self._running += 1
        try:
            with self.heartbeat.job(name):
                if not self.stop.is_set():
                    body()
        except Exception as exc:
            fault = exc if isinstance(exc, WorkFault) else faults.explained(exc, self.store.url)
            if fault is None:
                raise
            log.error("%s stopped: %s", name, with_fix(str(fault), fault.hint))
        finally:
            with self._idle:
                self._running -= 1
                last = self._running == 0
                self._idle.notify_all()
            if last:
                self.store.dispose()
                release_memory()

    def _owner(self, account: str) -> Member | None:
        return next((m for m in self.members.values()
                     if any(a.name == account for a in m.config.accounts)), None)

    def _status(self, member: Member, results: list[AccountResult]) -> None:
        bad = [f"{r.name}: {r.status}" for r in results if r.status != AccountStatus.OK]
        at = self.clock().strftime("%Y-%m-%d %H:%M UTC")
        who = "" if len(self.members) == 1 else f" ({member.name})"
        text = f"last sync{who} {at}: {len(results) - len(bad)}/{len(results)} ok"
        self.notifier.status(text + (f" ({', '.join(bad)})" if bad else ""))
