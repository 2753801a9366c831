"""The sd_notify protocol: a datagram socket bound as NOTIFY_SOCKET sees READY, STATUS and
WATCHDOG from a running daemon, which stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Env
from daemon import config as config_mod
from daemon.service.notify import Notifier
from daemon.service.scheduler import Daemon, run


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(20)
    yield sock, path
    sock.close()


def test_messages_reach_a_path_socket(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    n = Notifier({"NOTIFY_SOCKET": path})
    assert n.ready(status="up") and n.status("last sync:\n 2/2 ok") and n.watchdog()
    assert sock.recv(4096) == b"READY=1\nSTATUS=up"
    assert sock.recv(4096) == b"STATUS=last sync: 2/2 ok"
    assert sock.recv(4096) == b"WATCHDOG=1"


def test_abstract_sockets_are_supported() -> None:
    name = f"keepwarm-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).ready()
        assert sock.recv(4096) == b"READY=1"


def test_without_systemd_everything_is_a_no_op() -> None:
    n = Notifier({})
    assert not n.enabled and not n.ready() and n.watchdog_interval() is None


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert Notifier({"WATCHDOG_USEC": "120000000"}).watchdog_interval() == 60.0
    other = {"WATCHDOG_USEC": "120000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    assert Notifier(other).watchdog_interval() is None  # meant for another process


def test_a_running_daemon_notifies_ready_status_and_watchdog(
        listener: tuple[socket.socket, str], tmp_path: Path, store: Any) -> None:
    sock, path = listener
    cfg = tmp_path / "config.toml"
    cfg.write_text('[[accounts]]\nname = "a"\nkind = "mbox"\npath = "/nonexistent"\n')
    config = config_mod.load(cfg)
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"})  # ping each 0.1 s
    d = Daemon(config, store, Env(state_dir=tmp_path), notifier=notifier,
               build=lambda account, env: [])
    seen: list[str] = []

    def collect() -> None:
        try:
            while not ({"READY=1", "WATCHDOG=1"} <= set(seen)
                       and any(s.startswith("STATUS=last sync") for s in seen)):
                seen.extend(sock.recv(4096).decode().split("\n"))
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # ends run() in the main thread

    thread = threading.Thread(target=collect)
    thread.start()
    assert run(d, cfg) == 0
    thread.join()
    assert "READY=1" in seen and "WATCHDOG=1" in seen
    assert "STATUS=last sync" in " ".join(seen) and "1/1 ok" in " ".join(seen)
    assert not d.scheduler.running and d.stop.is_set()
