"""What the daemon's main thread drives (:mod:`daemon.service.loop`): start, reload, the
watchdog's keep-alive, the leases' renewal, and the stop.

Mixed into :class:`daemon.service.jobs.Jobs`, whose state it reads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemon import config as config_mod
from daemon.config import Config
from daemon.errors import KeepwarmError
from daemon.service import work
from daemon.service.heartbeat import Heartbeat
from daemon.service.loop import STOP_GRACE
from daemon.service.notify import Notifier
from daemon.service.tenancy import Tenancy
from daemon.service.work import Member
from daemon.summary import due

log = logging.getLogger("daemon.service.scheduler")  # its lines, named as before


class Lifecycle:
    """The daemon's life as the main thread sees it (attributes are the Jobs')."""

    config: Config
    store: Any
    members: dict[str, Member]
    notifier: Notifier
    heartbeat: Heartbeat
    tenancy: Tenancy
    stop: threading.Event
    scheduler: Any
    workers: int
    _withheld: bool
    _running: int
    _idle: threading.Condition
    _engine: Callable[..., Any]

    def schedule(self) -> None:
        raise NotImplementedError

    def _stop_work(self) -> None:
        raise NotImplementedError

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
        if not idle:
            self._stop_work()
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
