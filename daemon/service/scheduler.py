"""``keepwarm``'s daemon doing its jobs' work in its worker threads: each account's sync
through the member's :class:`~daemon.sync.engine.Engine`, each summary sent by the ledger.

The scheduling, the leases, the status and the stop are :class:`~daemon.service.jobs.Jobs`'
(see there for the jobs and their leases). This daemon is what tests drive, with their fakes
injected (``clock``, ``compose``, ``deliver``, ``build``), and what each child process of
``keepwarm run`` runs one piece of work with (:mod:`daemon.service.child`); ``keepwarm run``
itself is :class:`daemon.service.children.Supervisor`, which never imports this module.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import connectors
from connectors.base import Env, Source
from connectors.settings import AccountSettings
from daemon.clock import now_utc
from daemon.config import Config
from daemon.errors import with_fix
from daemon.service.beats import Beats
from daemon.service.heartbeat import Heartbeat
from daemon.service.jobs import Jobs
from daemon.service.limits import SharedLimit
from daemon.service.loop import run
from daemon.service.memory import release_memory
from daemon.service.notify import Notifier
from daemon.service.weekly import RETRY_AFTER, summary_trigger
from daemon.service.work import Member
from daemon.summary import delivery, ledger
from daemon.sync.engine import AccountResult, Engine

log = logging.getLogger("daemon.service.weekly")  # the summary's lines, named as before
__all__ = ["Daemon", "RETRY_AFTER", "release_memory", "run", "summary_trigger"]


class Daemon(Jobs):
    """The scheduler, its jobs and their work in its worker threads. ``clock``, ``heartbeat``
    and ``compose``/``deliver`` are injectable so tests can move time and capture messages."""

    def __init__(self, config: Config, store: Any, env: Env, *,
                 notifier: Notifier | None = None, clock: Callable[[], datetime] = now_utc,
                 compose: ledger.Compose = ledger.compose,
                 deliver: Callable[..., str | None] = delivery.deliver,
                 build: Callable[[AccountSettings, Env], list[Source]] = connectors.build,
                 heartbeat: Heartbeat | None = None) -> None:
        super().__init__(config, store, env, notifier=notifier, clock=clock,
                         heartbeat=heartbeat)
        self.compose, self.deliver, self._build = compose, deliver, build
        if env.throttle is None and not store.sqlite:  # replicas share the Graph app budget
            self.env = dataclasses.replace(env, throttle=SharedLimit(store, stop=self.stop))

    def _engine(self, store: Any, config: Config) -> Engine:
        return Engine(store, config, self.env, stop=self.stop, build=self._build,
                      progress=Beats(self.heartbeat))

    @property
    def engine(self) -> Engine:
        """The first member's sync engine (a single user's only one)."""
        return next(iter(self.members.values())).engine

    def _sync_one(self, member: Member, account: str) -> list[AccountResult]:
        return member.engine.sync([account])

    def _send_one(self, member: Member, fired: datetime | None, orphan: bool) -> None:
        self.send_summary(fired, member=member.name, orphan=orphan)

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
            return ledger.send_owed(who.store, who.config, self.env, now,
                                    compose=self.compose, deliver=deliver, orphan=orphan)
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

