"""The daemon's main thread: wait for signals (SIGTERM/SIGINT stop, SIGHUP reloads), ping the
systemd watchdog, renew the store lease; then stop the jobs within ``STOP_GRACE``."""

from __future__ import annotations

import logging
import select
import signal
import socket
import threading
from pathlib import Path
from typing import Any, Protocol

from daemon.service.notify import Notifier

log = logging.getLogger(__name__)

STOP_GRACE = 8.0  # seconds for the page in hand; systemd's TimeoutStopSec is 15 s


class Daemon(Protocol):
    """What the loop drives (:class:`daemon.service.scheduler.Daemon`)."""

    stop: threading.Event
    notifier: Notifier
    scheduler: Any

    @property
    def renew_every(self) -> float: ...

    def start(self) -> None: ...
    def reload(self, path: Path) -> bool: ...
    def keepalive(self) -> bool: ...
    def keep_lease(self) -> None: ...
    def shutdown(self, grace: float = STOP_GRACE) -> bool: ...


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
        renew = daemon.renew_every
        while not daemon.stop.is_set():
            select.select([rsock], [], [], min(ping or renew, renew))
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
            daemon.keep_lease()
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

