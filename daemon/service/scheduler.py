"""``keepwarm run``: the scheduled syncs and the weekly summary, as one long-lived process.

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

``keepwarm run`` runs each job's work (one account's sync, one member's send) in a child
process (:mod:`daemon.service.children`) and keeps only the scheduler, the config and the
leases here (a light store handle, :mod:`daemon.store.light`), so the idle daemon never holds
SQLAlchemy's ORM, the connectors' clients or numpy. Tests that inject fakes run it in the
worker threads (``children=False``).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

import connectors
from connectors.base import Env, Source
from connectors.settings import AccountSettings
from daemon import config as config_mod
from daemon.clock import now_utc, wall_time
from daemon.config import INTERVAL, Config, parse_duration
from daemon.errors import KeepwarmError, with_fix
from daemon.service import work
from daemon.service.children import ChildFault, Children
from daemon.service.heartbeat import Heartbeat
from daemon.service.loop import STOP_GRACE, run
from daemon.service.memory import release_memory
from daemon.service.notify import Notifier
from daemon.service.tenancy import Stop, Tenancy
from daemon.service.weekly import RETRY_AFTER, WeeklyJobs, summary_trigger
from daemon.service.work import Member
from daemon.store import faults
from daemon.store.vocab import AccountStatus
from daemon.summary import due

if TYPE_CHECKING:
    from daemon.sync.engine import Engine
    from daemon.sync.outcome import AccountResult

log = logging.getLogger(__name__)
__all__ = ["Daemon", "RETRY_AFTER", "release_memory", "run", "summary_trigger"]


class Daemon(WeeklyJobs):
    """The scheduler, its jobs and their shared state. ``clock``, ``heartbeat`` and
    ``compose``/``deliver`` (None: the real ones) are injectable so tests can move time and
    capture messages. ``store`` is a :class:`~daemon.store.db.Store`, or a light handle
    (:mod:`daemon.store.light`) when ``children`` runs the jobs' work in child processes
    (``keepwarm run``); without ``children`` it runs in the worker threads."""

    def __init__(self, config: Config, store: Any, env: Env, *,
                 notifier: Notifier | None = None, clock: Callable[[], datetime] = now_utc,
                 compose: Callable[..., Any] | None = None,
                 deliver: Callable[..., str | None] | None = None,
                 build: Callable[[AccountSettings, Env], list[Source]] = connectors.build,
                 heartbeat: Heartbeat | None = None, children: bool = False) -> None:
        self.config, self.store = config, store
        self.notifier = notifier or Notifier()
        self.heartbeat = heartbeat or Heartbeat()
        self._withheld = False  # the watchdog ping is being withheld: a job is stuck
        self.clock, self.compose, self.deliver, self._build = clock, compose, deliver, build
        self.stop = Stop()  # also set, for that job only, in a job whose lease was lost
        self.tenancy = Tenancy(store, lambda: self.clock(), self.stop,
                               parse_duration(config.daemon.lease_ttl, INTERVAL))
        self.children = (Children(store.url, env, self.heartbeat, self.stop,
                                  config.daemon.log_level) if children else None)
        if env.throttle is None and not store.sqlite and not children:
            from daemon.service.limits import SharedLimit  # replicas share the Graph budget

            env = dataclasses.replace(env, throttle=SharedLimit(store, stop=self.stop))
        self.env = env
        self.members = work.members(config, store, self._engine)
        self._running = 0  # jobs running now; shutdown waits until none is
        self._idle = threading.Condition()
        self.workers = config.daemon.workers or (1 if store.sqlite else 4)
        self.scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(self.workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def _engine(self, store: Any, config: Config) -> Engine:
        from daemon.service.beats import Beats
        from daemon.sync.engine import Engine

        return Engine(store, config, self.env, stop=self.stop, build=self._build,
                      progress=Beats(self.heartbeat))

    def _sync_one(self, member: Member, account: str) -> list[AccountResult]:
        """Sync one account: in this thread, or in a child process."""
        if self.children is None:
            return member.engine.sync([account])
        return self.children.sync(self.config, member.name, account)

    def _send_one(self, member: Member, fired: datetime | None, orphan: bool) -> None:
        """Send the member's owed summary: in this thread, or in a child process."""
        if self.children is None:
            self.send_summary(fired, member=member.name, orphan=orphan)
        else:
            self.children.send(self.config, member.name, fired, orphan)

    @property
    def engine(self) -> Engine:
        """The first member's sync engine (a single user's only one)."""
        return next(iter(self.members.values())).engine

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
            fault = exc if isinstance(exc, ChildFault) else faults.explained(exc, self.store.url)
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

    def keepalive(self) -> bool:
        """Ping the watchdog unless a job is stuck (then systemd restarts the daemon after
        ``WatchdogSec``); True when pinged."""
        stuck = self.heartbeat.stalled()
        if stuck is None:
            if self._withheld:
                log.info("the stuck job moved again: watchdog pings resume")
            self._withheld = False
            return self.notifier.watchdog()
        if not self._withheld:
            log.error("job stuck (%s): withholding the watchdog ping so that systemd restarts "
                      "keepwarm", stuck)
            self.notifier.status(f"stuck: {stuck}")
        self._withheld = True
        return False

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Take this replica's place on the store (SQLite: refused while another daemon runs
        on it), then schedule."""
        self.tenancy.take()
        self.schedule()
        self.scheduler.start()
        self.notifier.ready(status="scheduler running")
        log.info("keepwarm running: %d sync job(s), %d member(s), %d worker(s), replica %s, "
                 "summary %s", sum(1 for j in self.scheduler.get_jobs()
                                   if j.id.startswith("sync:")), len(self.members),
                 self.workers, self.tenancy.replica,
                 due.describe(next(iter(self.members.values())).config))

    def reload(self, path: Path) -> bool:
        """Load ``path`` and switch to it; a bad config is logged and the old one kept."""
        try:
            new = config_mod.load(path)
        except KeepwarmError as exc:
            log.error("config reload rejected, keeping the running config: %s", exc)
            return False
        if new.store_url != self.config.store_url:
            log.warning("[store] changed: takes effect after a restart")
        if new.daemon.workers != self.config.daemon.workers:
            log.warning("[daemon] workers changed: takes effect after a restart")
        self.config, self.members = new, work.members(new, self.store, self._engine)
        logging.getLogger().setLevel(new.daemon.log_level)
        self.schedule()
        log.info("config reloaded")
        return True

    def shutdown(self, grace: float = STOP_GRACE) -> bool:
        """Stop between pages and end the scheduler; False if a job outlived ``grace``."""
        self.stop.set()
        self.notifier.stopping()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        with self._idle:
            idle = self._idle.wait_for(lambda: self._running == 0, timeout=grace)
        if not idle and self.children is not None:
            self.children.kill_all()  # the page in hand is lost, the committed ones are not
        self.tenancy.give_back()
        return idle

    @property
    def renew_every(self) -> float:
        """Seconds between two renewals of this replica's leases."""
        return self.tenancy.renew_every.total_seconds()

    def keep_lease(self) -> None:
        """Renew this replica's leases when due; losing the store's (SQLite) to another
        daemon stops this one."""
        if not self.tenancy.keep():
            log.error("another daemon took over this store's lease: stopping")
            self.stop.set()
