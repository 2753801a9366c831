"""An honest watchdog: systemd is pinged while jobs make progress and not while one is stuck.
Time is a fake monotonic clock; the notify socket is a real datagram socket, read without
blocking (a datagram is queued by the time ``sendto`` returns)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Env, MessageRecord, Page, Source
from daemon import config as config_mod
from daemon.service.heartbeat import STALL_AFTER, Heartbeat
from daemon.service.notify import Notifier
from daemon.service.scheduler import Daemon


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_job_is_stalled_only_after_the_allowance_without_progress() -> None:
    clock = Clock()
    beat = Heartbeat(allowance=60, clock=clock)
    clock.now += 3600
    assert beat.stalled() is None  # idle between jobs: nothing to be stuck in
    with beat.job("sync a"):
        clock.now += 60
        assert beat.stalled() is None
        beat.beat()
        clock.now += 61
        assert beat.stalled() == "sync a: no progress for 61 s"
        beat.beat()
        assert beat.stalled() is None
        clock.now += 600
    assert beat.stalled() is None  # the job ended


def _msg(i: int) -> MessageRecord:
    return MessageRecord(source_id=f"s{i}", message_id=f"<m{i}@x>", from_=("ann@x.com",),
                         to=("me@example.com",), when=datetime(2024, 1, 1 + i, tzinfo=UTC))


class Stuck(Source):
    """One page, then an endless expansion until the test lets go: ``stuck`` is set once the
    first page has committed and the source hangs."""

    key = "a/mail"

    def __init__(self) -> None:
        self.stuck, self.go = threading.Event(), threading.Event()

    def pages(self, cursor: str | None) -> Iterator[Page]:
        yield Page((_msg(1),), cursor="1")
        self.stuck.set()
        self.go.wait(30)
        yield Page((_msg(2),), cursor="2")


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.setblocking(False)
    yield sock, path
    sock.close()


def received(sock: socket.socket) -> list[str]:
    out: list[str] = []
    while True:
        try:
            out.extend(sock.recv(4096).decode().split("\n"))
        except BlockingIOError:
            return out


def test_a_stuck_worker_stops_the_watchdog_pings_and_progress_resumes_them(
        listener: tuple[socket.socket, str], tmp_path: Path, store: Any) -> None:
    sock, path = listener
    cfg = tmp_path / "config.toml"
    cfg.write_text('[me]\naddresses = ["me@example.com"]\n'
                   '[[accounts]]\nname = "a"\nkind = "mbox"\npath = "/nonexistent"\n')
    clock, source = Clock(), Stuck()
    d = Daemon(config_mod.load(cfg), store, Env(state_dir=tmp_path),
               notifier=Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "120000000"}),
               build=lambda account, env: [source], heartbeat=Heartbeat(clock=clock))
    assert d.keepalive() and received(sock) == ["WATCHDOG=1"]  # idle: healthy
    worker = threading.Thread(target=d.sync_tick, args=["a"])
    worker.start()
    try:
        assert source.stuck.wait(30)
        clock.now += STALL_AFTER  # a slow page, but within the allowance
        assert d.keepalive() and received(sock) == ["WATCHDOG=1"]
        clock.now += 61
        assert not d.keepalive() and not d.keepalive()
        got = received(sock)
        assert "WATCHDOG=1" not in got
        assert got == ["STATUS=stuck: sync a: no progress for 961 s"]  # said once
    finally:
        source.go.set()
        worker.join(30)
    assert d.keepalive() and received(sock)[-1] == "WATCHDOG=1"  # the job moved and ended
