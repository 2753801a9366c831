"""``keepwarm run``: the scheduled syncs and the weekly summary, as one long-lived process.

Jobs are rebuilt from the config at start and on SIGHUP (in-memory job store)::

    sync:NAME   every [daemon] sync_interval (jittered), one per enabled account
    summary     cron [report] weekday/time in [report] timezone: sync all, then send if owed
    catch-up    once at start (and reload) when this week's summary is owed already

All jobs share one worker thread, so two syncs never write at once and the summary always
follows a finished sync. After every sync tick the summary is sent if still owed an hour past
its slot (a suspended machine, a cron fire lost to a DST gap) or after a failed delivery, at
most every ``RETRY_AFTER``. The main thread only waits for signals and pings the watchdog,
and withholds the ping while a job is stuck (see :mod:`daemon.service.heartbeat`).
After every job the store's pooled connections are closed (their SQLite page caches go with
them), the garbage is collected and glibc hands freed heap back to the system
(``malloc_trim``), so the idle daemon shrinks back after a big sync or the weekly scoring.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import select
import signal
import socket
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
from daemon.service.notify import Notifier
from daemon.store import Store
from daemon.store.vocab import AccountStatus
from daemon.summary import delivery, ledger
from daemon.sync.engine import AccountResult, Engine

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=10)
FALLBACK_AFTER = timedelta(hours=1)
STOP_GRACE = 8.0  # seconds for the page in hand; systemd's TimeoutStopSec is 15 s


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
        self._retry_at: datetime | None = None  # set after a failed delivery
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
        with self._busy, self.heartbeat.job(f"sync {name}"):
            if self.stop.is_set():
                return
            try:
                self._status(self.engine.sync([name]))
                if self._overdue():
                    self.send_summary()
            finally:
                self.store.dispose()
                release_memory()

    def summary_job(self) -> None:
        """Cron job: sync every enabled account (failures isolated), then send if owed."""
        with self._busy, self.heartbeat.job("summary"):
            if self.stop.is_set():
                return
            fired = self.clock()  # the week is the slot's, even if the sync runs past midnight
            try:
                self._status(self.engine.sync())
                if not self.stop.is_set():
                    self.send_summary(fired)
            finally:
                self.store.dispose()
                release_memory()

    def send_summary(self, now: datetime | None = None) -> str | None:
        """Send the summary owed at ``now`` (default: the clock); a failure is logged and
        retried later."""
        now = now or self.clock()
        self.heartbeat.beat()  # the scoring and the delivery get a full allowance
        try:
            label = ledger.send_owed(self.store, self.config, self.env, now,
                                     compose=self.compose, deliver=self.deliver)
        except Exception as exc:  # delivery or report failure: never kills the daemon
            self._retry_at = now + RETRY_AFTER
            log.error("summary not sent, retrying after %s: %s", self._retry_at.isoformat(
                timespec="minutes"), with_fix(str(exc), getattr(exc, "hint", "")))
            return None
        self._retry_at = None
        return label

    def _overdue(self) -> bool:
        now = self.clock()
        if self.config.delivery.method == "none":
            return False
        if self._retry_at is not None:
            return now.astimezone(UTC) >= self._retry_at.astimezone(UTC)
        _, slot = ledger.this_week(self.config.report, now)
        late = now.astimezone(UTC) >= (slot + FALLBACK_AFTER).astimezone(UTC)
        return late and ledger.owed(self.store, self.config.report, now) is not None

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
        return idle


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``; None on a C library without it (musl, macOS)."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim  # type: ignore[no-any-return]


_TRIM = _malloc_trim()


def release_memory() -> None:
    """Collect cycles left by a job, then return free heap pages to the system."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)


def summary_trigger(config: Config) -> CronTrigger:
    """The weekly slot as a cron trigger in the user's zone (DST-aware via zoneinfo)."""
    r = config.report
    at = wall_time(r.time)
    return CronTrigger(day_of_week=r.weekday, hour=at.hour, minute=at.minute,
                       timezone=zone(r.timezone))


def run(daemon: Daemon, config_path: Path) -> int:
    """Run until SIGTERM/SIGINT; SIGHUP reloads ``config_path``. Call from the main thread."""
    rsock, wsock = socket.socketpair()
    rsock.setblocking(False)
    wsock.setblocking(False)
    pending: list[int] = []
    old_fd = signal.set_wakeup_fd(wsock.fileno(), warn_on_full_buffer=False)
    handlers = {s: signal.signal(s, lambda n, _f: pending.append(n))
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        daemon.start()
        ping = daemon.notifier.watchdog_interval()
        while not daemon.stop.is_set():
            select.select([rsock], [], [], ping)
            _drain(rsock)
            while pending:
                signum = pending.pop(0)
                if signum == signal.SIGHUP:
                    log.info("SIGHUP: reloading %s", config_path)
                    daemon.reload(config_path)
                else:
                    log.info("%s: stopping", signal.Signals(signum).name)
                    daemon.stop.set()
            if ping and daemon.scheduler.running:
                daemon.keepalive()
        if not daemon.shutdown():
            log.warning("a sync did not stop within %.0f s; exiting anyway", STOP_GRACE)
            return 3
        return 0
    finally:
        signal.set_wakeup_fd(old_fd)
        for s, h in handlers.items():
            signal.signal(s, h)
        rsock.close()
        wsock.close()


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(64):
            pass
    except (BlockingIOError, InterruptedError):
        pass
    except OSError as exc:  # pragma: no cover - the pair belongs to us
        log.debug("wakeup socket: %s", exc)

