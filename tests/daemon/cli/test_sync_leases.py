"""`keepwarm sync` holds each account's sync lease, as a daemon's job does: an account another
process is syncing is skipped and named with its holder, never read twice at once."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.clock import now_utc
from daemon.store import Store, lease
from daemon.store.replicas import find
from daemon.store.sql import stamp
from daemon.sync.engine import Engine

MBOX = ("From a@x Mon Jan  1 00:00:00 2024\nFrom: Ann Lee <ann@x.com>\nTo: me@example.com\n"
        "Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <1@x>\n\nhi\n\n")


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Path, Store]]:
    (tmp_path / "mail.mbox").write_text(MBOX)
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[store]\nurl = "{url}"\n\n[me]\naddresses = ["me@example.com"]\n\n'
                   f'[[accounts]]\nname = "arch"\nkind = "mbox"\n'
                   f'path = "{tmp_path / "mail.mbox"}"\n')
    store = Store(url)
    yield cfg, store
    store.dispose()


def _touchpoints(store: Store) -> int:
    return int(store.rows("SELECT count(*) FROM touchpoints")[0][0])


def test_an_account_another_replica_syncs_is_skipped_and_named(
        setup: tuple[Path, Store], capsys: pytest.CaptureFixture[str]) -> None:
    cfg, store = setup
    assert lease.take(store, "sync:arch", "elsewhere:1:x", now_utc(), timedelta(minutes=3)).won
    assert main(["--config", str(cfg), "sync"]) == 0
    out = capsys.readouterr().out
    assert "arch: skipped, another keepwarm (host " in out and "is syncing it now" in out
    assert _touchpoints(store) == 0
    lease.give_back(store, "sync:arch", "elsewhere:1:x")
    assert main(["--config", str(cfg), "sync", "arch"]) == 0
    assert capsys.readouterr().out.startswith("arch: ok")
    assert _touchpoints(store) == 1


def test_the_lease_is_held_while_syncing_and_given_back(
        setup: tuple[Path, Store], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, store = setup
    seen = []
    account = Engine.sync_account
    monkeypatch.setattr(Engine, "sync_account",
                        lambda self, acc: (seen.append(find(store, "sync:arch")),
                                           account(self, acc))[1])
    assert main(["--config", str(cfg), "sync"]) == 0
    assert len(seen) == 1 and seen[0] is not None and seen[0].expires_at is not None
    assert find(store, "sync:arch") is None  # given back at the end


def test_an_expired_lease_of_a_dead_replica_is_taken_over(
        setup: tuple[Path, Store], capsys: pytest.CaptureFixture[str]) -> None:
    cfg, store = setup
    long_ago = now_utc() - timedelta(hours=1)
    assert lease.take(store, "sync:arch", "dead:1:x", long_ago, timedelta(minutes=3)).won
    assert main(["--config", str(cfg), "sync"]) == 0
    assert capsys.readouterr().out.startswith("arch: ok")
    assert _touchpoints(store) == 1


def test_a_killed_syncs_lease_on_this_machine_is_taken_at_once(
        setup: tuple[Path, Store], capsys: pytest.CaptureFixture[str]) -> None:
    cfg, store = setup
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process of this machine that has ended: its lease need not run out
    now = now_utc()
    store.write("INSERT INTO daemon_leases (name, host, pid, since, expires_at, replica) "
                "VALUES ('sync:arch', :host, :pid, :now, :expires, 'killed:1:x')",
                {"host": socket.gethostname(), "pid": gone.pid, "now": stamp(now, True),
                 "expires": stamp(now + timedelta(minutes=3), True)})
    assert main(["--config", str(cfg), "sync"]) == 0
    assert capsys.readouterr().out.startswith("arch: ok")
    assert _touchpoints(store) == 1
