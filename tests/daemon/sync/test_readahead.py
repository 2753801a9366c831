"""Read-ahead: a local source's pages are read and interpreted in a forked process while the
engine commits, and nothing about the outcome changes: items in order, failures raised again
in the engine with their type and fix, the child reaped when the run stops, and gone when the
parent is killed. (The model-based archive test syncs with and without it, killed anywhere.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.base import Env, MessageRecord, Page
from connectors.errors import ConnectorError, CursorExpired, MailboxRefused
from connectors.settings import MboxAccount
from daemon.config import Config, MeSettings
from daemon.store.models import ItemSource, Stream
from daemon.sync.ahead import ahead
from daemon.sync.engine import Engine

from fakes.memory import MemorySource
from helpers.kills import Killed

ME = "me@example.com"


def counting(n: int, size: int = 0) -> Iterator[tuple[int, int, bytes]]:
    for i in range(n):
        yield i, os.getpid(), b"x" * size


def test_items_arrive_in_order_from_another_process():
    got = list(ahead(lambda: counting(40, 100_000)))  # far more than a pipe holds
    assert [i for i, _, _ in got] == list(range(40))
    assert {pid for _, pid, _ in got} != {os.getpid()}
    assert all(len(blob) == 100_000 for _, _, blob in got)


def failing(exc: BaseException) -> Iterator[int]:
    yield 1
    raise exc


def test_a_failure_is_raised_again_with_its_type_and_fix():
    items = []
    with pytest.raises(CursorExpired) as caught:
        items.extend(ahead(lambda: failing(CursorExpired("too old", hint="sync again"))))
    assert items == [1]
    assert (str(caught.value), caught.value.hint) == ("too old", "sync again")
    with pytest.raises(MailboxRefused) as refused:
        list(ahead(lambda: failing(MailboxRefused("no", hint="ask", administrator=False))))
    assert refused.value.administrator is False
    with pytest.raises(Killed):  # not an Exception: nothing in the engine catches it
        list(ahead(lambda: failing(Killed())))


def test_a_failure_that_cannot_travel_keeps_its_text():
    class Local(Exception):  # defined in a function: pickle cannot find it again
        pass

    with pytest.raises(RuntimeError, match="Local: unpicklable here"):
        list(ahead(lambda: failing(Local("unpicklable here"))))


def dying() -> Iterator[int]:
    yield 1
    os.kill(os.getpid(), signal.SIGKILL)  # the reader killed (out of memory, say)
    yield 2


def test_a_killed_reader_is_one_line_with_its_fix():
    items = []
    with pytest.raises(ConnectorError) as caught:
        items.extend(ahead(dying))
    assert items == [1]
    assert "killed" in str(caught.value) and "keepwarm sync" in caught.value.hint


def gone(pid: int) -> bool:
    """No such process, or only its zombie (reaped by whoever adopted it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_stopping_early_kills_and_reaps_the_child():
    reader = ahead(lambda: counting(10**9))
    _, child, _ = next(reader)
    assert child != os.getpid() and not gone(child)
    reader.close()
    with pytest.raises(ChildProcessError):  # reaped already: no zombie left behind
        os.waitpid(child, os.WNOHANG)


KILLED_PARENT = """
import os, signal, sys
from daemon.sync.ahead import ahead
def forever():
    while True:
        yield os.getpid()
reader = ahead(forever)
print(next(reader), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_parent_leaves_no_reader_behind():
    root = Path(__file__).parents[3]
    proc = subprocess.run([sys.executable, "-c", KILLED_PARENT], cwd=root, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    child = int(proc.stdout.split()[0])
    deadline = time.monotonic() + 30  # its next write fails at once: this is a safety net
    while not gone(child) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gone(child)


class PidSource(MemorySource):
    """Each record's source id names the process that read it."""

    def pages(self, cursor: str | None) -> Iterator[Page]:
        record = MessageRecord(source_id=f"pid{os.getpid()}", message_id="<m1@x>",
                               when=datetime(2024, 1, 2, tzinfo=UTC), from_=("a@b.com",),
                               to=(ME,))
        yield Page((record,), (), "1", listing=None)


@pytest.mark.parametrize(("local", "readahead", "forked"),
                         [(True, True, True), (False, True, False), (True, False, False)])
def test_only_a_local_source_is_read_ahead_and_only_when_asked(store, local, readahead,
                                                               forked):
    source = PidSource("a/mail", [])
    source.local = local
    config = Config(me=MeSettings(addresses=(ME,)),
                    accounts=(MboxAccount(name="a", kind="mbox", path=Path("/nonexistent")),))
    engine = Engine(store, config, Env(state_dir=Path("/tmp")), readahead=readahead,
                    build=lambda acc, env: [source])
    [result] = engine.sync()
    assert result.status == "ok" and result.streams[0].touchpoints == 1
    with store.session() as s:
        [sid] = s.execute(select(ItemSource.source_id)).scalars()
        assert s.execute(select(Stream.cursor)).scalar_one() == "1"
    assert (sid != f"pid{os.getpid()}") is forked
