"""The store-fault translator on real driver errors, and the engine logging each as one line
(never a traceback) when it strikes a sync: a full disk, a read-only file, a locked store."""

from __future__ import annotations

import errno
import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from connectors.base import Env
from connectors.settings import MboxAccount
from daemon.config import Config, MeSettings
from daemon.store import faults
from daemon.sync.engine import Engine


def _driver_error(url: str, sql: str) -> OperationalError:
    eng = create_engine(url, connect_args={"timeout": 0})
    try:
        with eng.begin() as conn:
            conn.execute(text(sql))
    except OperationalError as exc:
        return exc
    finally:
        eng.dispose()
    raise AssertionError("no error")


def test_a_read_only_file_names_the_permission(tmp_path: Path) -> None:
    path = tmp_path / "kw.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE t (x)")
    exc = _driver_error(f"sqlite:///file:{path}?mode=ro&uri=true", "INSERT INTO t VALUES (1)")
    fault = faults.explain(exc, f"sqlite:///{path}")
    assert str(fault).startswith(f"the store {path} is read-only")
    assert "writable" in fault.hint and "db upgrade" not in fault.hint


def test_a_lock_held_elsewhere_says_another_process(tmp_path: Path) -> None:
    path = tmp_path / "kw.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        exc = _driver_error(f"sqlite:///{path}", "INSERT INTO t VALUES (1)")
    fault = faults.explain(exc, f"sqlite:///{path}")
    assert "another process holds it" in str(fault) and "try again" in fault.hint


def test_the_password_never_shows() -> None:
    url = "postgresql+psycopg://kw:hunter2@db.example:6543/kw"
    assert "hunter2" not in faults.store_name(url)
    assert faults.store_name("sqlite:////var/kw.db") == "/var/kw.db"


@pytest.mark.parametrize("exc", [
    OSError(errno.ENOSPC, "No space left on device", "/state/tokens/work.json"),
    sqlite3.OperationalError("database or disk is full"),
], ids=["ENOSPC", "sqlite full"])
def test_a_full_disk_during_a_sync_logs_one_line(store, exc: Exception,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    def build(account, env):
        raise exc

    cfg = Config(me=MeSettings(addresses=("me@example.com",)),
                 accounts=(MboxAccount(name="a", kind="mbox", path=Path("/nonexistent")),))
    eng = Engine(store, cfg, Env(state_dir=Path("/tmp")), build=build)
    with caplog.at_level(logging.INFO):
        [result] = eng.sync()
    assert result.status == "error" and "full" in result.error
    assert result.fix and "free some space" in result.fix
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures and all(r.exc_info is None for r in failures)
    assert "Traceback" not in caplog.text


def test_explained_is_a_fault_for_store_errors_and_none_for_bugs(tmp_path: Path) -> None:
    """The one question every renderer asks (CLI, sync, scheduler): a store or file fault
    becomes its line and fix; anything else is None, for the caller to raise as a bug."""
    full = OSError(errno.ENOSPC, "No space left on device")
    assert faults.explained(full, f"sqlite:///{tmp_path}/s.db") is not None
    locked = sqlite3.OperationalError("database is locked")
    assert "locked" in str(faults.explained(locked, f"sqlite:///{tmp_path}/s.db")).lower()
    assert faults.explained(ValueError("a bug"), None) is None
    assert faults.explained(OSError(errno.ENOENT, "gone"), None) is None
