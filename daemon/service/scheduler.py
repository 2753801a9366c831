"""``keepwarm run``: the scheduled syncs and the weekly summary, as one long-lived process.

Jobs are rebuilt from the config at start and on SIGHUP (in-memory job store)::

    sync:NAME   every [daemon] sync_interval (jittered), one per enabled account
    summary     cron [report] weekday/time in [report] timezone: sync all, then send if owed
    catch-up    once at start (and reload) when this week's summary is owed already

All jobs share one worker thread, so two syncs never write at once and the summary always
follows a finished sync. After every sync tick the summary is sent if still owed an hour past
its slot (a suspended machine, a cron fire lost to a DST gap) or after a failed delivery, at
most every ``RETRY_AFTER`` (the ledger row says when; a permanent failure stops the attempts
for the week). The pause between delivery attempts waits on the stop event, so SIGTERM ends
it at once. The main thread only waits for signals, pings the watchdog, renews the daemon's
lease on the store (:mod:`daemon.store.lease`: one daemon per store), and withholds the ping
while a job is stuck (see :mod:`daemon.service.heartbeat`). After every job the store's pooled
connections are closed and memory is given back (:mod:`daemon.service.memory`).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
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
from daemon.service.heartbeat import Beats, Heartbeat
from daemon.service.loop import STOP_GRACE, run
from daemon.service.memory import release_memory
from daemon.service.notify import Notifier
from daemon.service.tenancy import Tenancy
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
        self.config, self.store, self.env = config, store, env
        self.notifier = notifier or Notifier()
        self.heartbeat = heartbeat or Heartbeat()
        self._withheld = False  # the watchdog ping is being withheld: a job is stuck
        self.clock, self.compose, self.deliver, self._build = clock, compose, deliver, build
        self.stop = threading.Event()
        self.engine = self._engine(config)
        self._busy = threading.Lock()  # held while a job runs; shutdown waits on it
        self.tenancy = Tenancy(store, lambda: self.clock())  # one daemon per store
        self.scheduler = BackgroundScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def _engine(self, config: Config) -> Engine:
        return Engine(self.store, config, self.env, stop=self.stop, build=self._build,
                      progress=Beats(self.heartbeat))

    # -- jobs ---------------------------------------------------------------------------------

    def schedule(self) -> None:
        """(Re)build every job from the current config."""
        self.scheduler.remove_all_jobs()
        every = parse_duration(self.config.daemon.sync_interval, INTERVAL)
        jitter = int(min(60.0, every.total_seconds() / 10))
        start = self.clock()
        for i, account in enumerate(a for a in self.config.accounts if a.enabled):
            self.scheduler.add_job(
                self.sync_tick, IntervalTrigger(seconds=int(every.total_seconds()),
                                                jitter=jitter or None, timezone=UTC),
                args=[account.name], id=f"sync:{account.name}", name=f"sync {account.name}",
                next_run_time=start + timedelta(seconds=2 * i))
        if self.config.delivery.method != "none":
            r = self.config.report
            at = wall_time(r.time)
            self.scheduler.add_job(
                self.summary_job, summary_trigger(self.config), id="summary",
                name=f"summary {r.weekday} {at.hour:02d}:{at.minute:02d} {r.timezone}")
            if ledger.owed(self.store, r, start) is not None:
                log.info("this week's summary is owed: catching up now")
                self.scheduler.add_job(self.summary_job, id="catch-up", next_run_time=start)

    def sync_tick(self, name: str) -> None:
        """Interval job: sync one account, then send the summary if it is overdue."""
        def body() -> None:
            self._status(self.engine.sync([name]))
            if self._overdue():
                self.send_summary()
        self._job(f"sync {name}", body)

    def summary_job(self) -> None:
        """Cron job: sync every enabled account (failures isolated), then send if owed."""
        fired = self.clock()  # the week is the slot's, even if the sync runs past midnight

        def body() -> None:
            self._status(self.engine.sync())
            if not self.stop.is_set():
                self.send_summary(fired)
        self._job("summary", body)

    def _job(self, name: str, body: Callable[[], None]) -> None:
        """Run one job alone, then give back the store's connections and the freed memory.
        A store that broke under it (damaged, locked, disk full) is one log line with its fix
        and the next tick tries again; anything else is a bug and keeps its traceback."""
        with self._busy, self.heartbeat.job(name):
            if self.stop.is_set():
                return
            try:
                body()
            except Exception as exc:
                if (fault := faults.explained(exc, self.store.url)) is None:
                    raise
                log.error("%s stopped: %s", name, with_fix(str(fault), fault.hint))
            finally:
                self.store.dispose()
                release_memory()

    def send_summary(self, now: datetime | None = None) -> str | None:
        """Send the summary owed at ``now`` (default: the clock); a failure is logged and,
        when transient, retried later (the ledger row says when)."""
        now = now or self.clock()
        self.heartbeat.beat()  # the scoring and the delivery get a full allowance
        deliver = functools.partial(self.deliver, sleep=self._pause)
        try:
            return ledger.send_owed(self.store, self.config, self.env, now,
                                    compose=self.compose, deliver=deliver)
        except delivery.Stopped:
            log.warning("summary not sent: keepwarm is stopping; it is retried at the next start")
        except Exception as exc:  # delivery or report failure: never kills the daemon
            transient = getattr(exc, "transient", True)
            when = (f"retrying after {(now + RETRY_AFTER).isoformat(timespec='minutes')}"
                    if transient else "no more attempts this week")
            log.error("summary not sent, %s: %s", when,
                      with_fix(str(exc), getattr(exc, "hint", "")))
        return None

    def _pause(self, seconds: float) -> None:
        """The wait between two delivery attempts; a stop request ends it (and the send)."""
        if self.stop.wait(seconds):
            raise delivery.Stopped()

    def _overdue(self) -> bool:
        """Send on a sync tick: a due retry, or a summary still owed an hour past its slot."""
        now = self.clock()
        if self.config.delivery.method == "none":
            return False
        label, slot = ledger.this_week(self.config.report, now)
        if ledger.owed(self.store, self.config.report, now) is None:
            return False
        late = now.astimezone(UTC) >= (slot + FALLBACK_AFTER).astimezone(UTC)
        return late or claims.row(self.store, label) is not None  # a retry is due

    def _status(self, results: list[AccountResult]) -> None:
        bad = [f"{r.name}: {r.status}" for r in results if r.status != AccountStatus.OK]
        at = self.clock().strftime("%Y-%m-%d %H:%M UTC")
        text = f"last sync {at}: {len(results) - len(bad)}/{len(results)} ok"
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
        """Take the store's lease (refused: another daemon runs on it), then schedule."""
        self.tenancy.take()
        self.schedule()
        self.scheduler.start()
        self.notifier.ready(status="scheduler running")
        log.info("keepwarm running: %d sync job(s), summary %s", sum(
            1 for j in self.scheduler.get_jobs() if j.id.startswith("sync:")),
            delivery.describe(self.config))

    def reload(self, path: Path) -> bool:
        """Load ``path`` and switch to it; a bad config is logged and the old one kept."""
        try:
            new = config_mod.load(path)
        except KeepwarmError as exc:
            log.error("config reload rejected, keeping the running config: %s", exc)
            return False
        if new.store_url != self.config.store_url:
            log.warning("[store] changed: takes effect after a restart")
        self.config, self.engine = new, self._engine(new)
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
        idle = self._busy.acquire(timeout=grace)
        if idle:
            self._busy.release()
        self.tenancy.give_back()
        return idle

    def keep_lease(self) -> None:
        """Renew the store lease when due; losing it to another daemon stops this one."""
        if not self.tenancy.keep():
            log.error("another daemon took over this store's lease: stopping")
            self.stop.set()


def summary_trigger(config: Config) -> CronTrigger:
    """The weekly slot as a cron trigger in the user's zone (DST-aware via zoneinfo)."""
    r = config.report
    at = wall_time(r.time)
    return CronTrigger(day_of_week=r.weekday, hour=at.hour, minute=at.minute,
                       timezone=zone(r.timezone))
