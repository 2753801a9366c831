"""``keepwarm run``: the scheduled syncs and the weekly summary, as one long-lived process.

Jobs are rebuilt from the config at start and on SIGHUP (in-memory job store), for every
member of a team config (one member, ``me``, for a single user; see :mod:`.work`)::

    sync:NAME        every [daemon] sync_interval (jittered), one per enabled account
    summary[:MEMBER] cron [report] weekday/time in the member's [report] timezone: sync the
                     member's accounts, then send the member's summary if owed
    catch-up[:MEMBER] once at start (and reload) when this week's summary is owed already

Jobs run on ``[daemon] workers`` threads (1 on SQLite, 4 on PostgreSQL by default). Every job
holds the lease of its work in the store (``sync:NAME``, ``summary:MEMBER``; see
:mod:`daemon.service.tenancy`), so two workers, or two replicas on one PostgreSQL store, never
sync one account or send one summary at once; work another replica holds is skipped this
time. After every sync tick the member's summary is sent if still owed an hour past
its slot (a suspended machine, a cron fire lost to a DST gap) or after a failed delivery, at
most every ``RETRY_AFTER`` (the ledger row says when; a permanent failure stops the attempts
for the week). The pause between delivery attempts waits on the stop event, so SIGTERM ends
it at once. The main thread only waits for signals, pings the watchdog, renews the daemon's
leases on the store, and withholds the ping
while a job is stuck (see :mod:`daemon.service.heartbeat`). After every job the store's pooled
connections are closed and memory is given back (:mod:`daemon.service.memory`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

import connectors
from connectors.base import Env, Source
from connectors.settings import AccountSettings
from daemon import config as config_mod
from daemon.clock import now_utc, wall_time, zone
from daemon.config import INTERVAL, Config, parse_duration
from daemon.errors import KeepwarmError, with_fix
from daemon.service import work
from daemon.service.heartbeat import Beats, Heartbeat
from daemon.service.limits import SharedLimit
from daemon.service.loop import STOP_GRACE, run
from daemon.service.memory import release_memory
from daemon.service.notify import Notifier
from daemon.service.tenancy import Stop, Tenancy
from daemon.service.work import Member
from daemon.store import Store, faults
from daemon.store.vocab import AccountStatus
from daemon.summary import claims, delivery, ledger
from daemon.sync.engine import AccountResult, Engine

log = logging.getLogger(__name__)
__all__ = ["Daemon", "RETRY_AFTER", "release_memory", "run", "summary_trigger"]

RETRY_AFTER = ledger.RETRY_AFTER
FALLBACK_AFTER = timedelta(hours=1)


class Daemon:
    """The scheduler, its jobs and their shared state. ``clock``, ``heartbeat`` and
    ``compose``/``deliver`` are injectable so tests can move time and capture messages."""

    def __init__(self, config: Config, store: Store, env: Env, *,
                 notifier: Notifier | None = None, clock: Callable[[], datetime] = now_utc,
                 compose: ledger.Compose = ledger.compose,
                 deliver: Callable[..., str | None] = delivery.deliver,
                 build: Callable[[AccountSettings, Env], list[Source]] = connectors.build,
                 heartbeat: Heartbeat | None = None) -> None:
        self.config, self.store = config, store
        self.notifier = notifier or Notifier()
        self.heartbeat = heartbeat or Heartbeat()
        self._withheld = False  # the watchdog ping is being withheld: a job is stuck
        self.clock, self.compose, self.deliver, self._build = clock, compose, deliver, build
        self.stop = Stop()  # also set, for that job only, in a job whose lease was lost
        self.tenancy = Tenancy(store, lambda: self.clock(), self.stop)
        if env.throttle is None and not store.sqlite:  # replicas share the Graph app budget
            env = dataclasses.replace(env, throttle=SharedLimit(store, stop=self.stop))
        self.env = env
        self.members = work.members(config, store, self._engine)
        self._running = 0  # jobs running now; shutdown waits until none is
        self._idle = threading.Condition()
        self.workers = config.daemon.workers or (1 if store.sqlite else 4)
        self.scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(self.workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def _engine(self, store: Store, config: Config) -> Engine:
        return Engine(store, config, self.env, stop=self.stop, build=self._build,
                      progress=Beats(self.heartbeat))

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
        for i, account in enumerate(accounts):
            self.scheduler.add_job(
                self.sync_tick, IntervalTrigger(seconds=int(every.total_seconds()),
                                                jitter=jitter or None, timezone=UTC),
                args=[account.name], id=f"sync:{account.name}", name=f"sync {account.name}",
                next_run_time=start + timedelta(seconds=2 * i))
        for member in self.members.values():
            if member.config.delivery.method == "none":
                continue
            r = member.config.report
            at = wall_time(r.time)
            self.scheduler.add_job(
                self.summary_job, summary_trigger(member.config), args=[member.name],
                id=member.job_id("summary"), name=f"{member.label('summary')} {r.weekday} "
                f"{at.hour:02d}:{at.minute:02d} {r.timezone}")
            if ledger.owed(member.store, r, start) is not None:
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
                    self._status(member, member.engine.sync([name]))
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
                self.send_summary(fired, member=member.name, orphan=died)

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
                results.extend(member.engine.sync([account.name]))
            if results and results[-1].store_failed:  # the next would fail the same way
                break
        return results

    @contextmanager
    def _working(self) -> Iterator[bool]:
        """Count a running job; yields whether it was the only one (then, at its end, the
        store's connections and the freed memory are given back)."""
        with self._idle:
            self._running += 1
        try:
            yield True
        finally:
            with self._idle:
                self._running -= 1
                last = self._running == 0
                self._idle.notify_all()
            if last:
                self.store.dispose()
                release_memory()

    def _job(self, name: str, body: Callable[[], None]) -> None:
        """Run one job, then give back the store's connections and the freed memory once no
        other job runs. A store that broke under it (damaged, locked, disk full) is one log
        line with its fix and the next tick tries again; anything else is a bug and keeps its
        traceback."""
        with self._working(), self.heartbeat.job(name):
            if self.stop.is_set():
                return
            try:
                body()
            except Exception as exc:
                if (fault := faults.explained(exc, self.store.url)) is None:
                    raise
                log.error("%s stopped: %s", name, with_fix(str(fault), fault.hint))

    def send_summary(self, now: datetime | None = None, *, member: str | None = None,
                     orphan: bool = False) -> str | None:
        """Send ``member``'s summary owed at ``now`` (default: the clock; the first member);
        a failure is logged and, when transient, retried later (the ledger row says when).
        ``orphan``: its last sender died mid-send (see :mod:`daemon.summary.claims`)."""
        now = now or self.clock()
        who = self.members[member] if member else next(iter(self.members.values()))
        self.heartbeat.beat()  # the scoring and the delivery get a full allowance
        deliver = functools.partial(self.deliver, sleep=self._pause)
        try:
            return ledger.send_owed(who.store, who.config, self.env, now, compose=self.compose,
                                    deliver=deliver, orphan=orphan)
        except delivery.Stopped:
            log.warning("summary not sent: keepwarm is stopping; it is retried at the next start")
        except Exception as exc:  # delivery or report failure: never kills the daemon
            transient = getattr(exc, "transient", True)
            when = (f"retrying after {(now + RETRY_AFTER).isoformat(timespec='minutes')}"
                    if transient else "no more attempts this week")
            log.error("summary not sent member=%s, %s: %s", who.name, when,
                      with_fix(str(exc), getattr(exc, "hint", "")))
        return None

    def _pause(self, seconds: float) -> None:
        """The wait between two delivery attempts; a stop request ends it (and the send)."""
        if self.stop.wait(seconds):
            raise delivery.Stopped()

    def _overdue(self, member: Member) -> bool:
        """Send on a sync tick: a due retry, or a summary still owed an hour past its slot."""
        now, config = self.clock(), member.config
        if config.delivery.method == "none":
            return False
        label, slot = ledger.this_week(config.report, now)
        if ledger.owed(member.store, config.report, now) is None:
            return False
        late = now.astimezone(UTC) >= (slot + FALLBACK_AFTER).astimezone(UTC)
        return late or claims.row(member.store, label) is not None  # a retry is due

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
                 self.workers, self.tenancy.replica, delivery.describe(self.engine.config))

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
        self.tenancy.give_back()
        return idle

    def keep_lease(self) -> None:
        """Renew this replica's leases when due; losing the store's (SQLite) to another
        daemon stops this one."""
        if not self.tenancy.keep():
            log.error("another daemon took over this store's lease: stopping")
            self.stop.set()


def summary_trigger(config: Config) -> CronTrigger:
    """The weekly slot as a cron trigger in the user's zone (DST-aware via zoneinfo)."""
    r = config.report
    at = wall_time(r.time)
    return CronTrigger(day_of_week=r.weekday, hour=at.hour, minute=at.minute,
                       timezone=zone(r.timezone))
