"""The frame load: touchpoint times as whole seconds, the same on every store dialect."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.base import Env, MessageRecord
from connectors.settings import MboxAccount
from daemon.config import Config, MeSettings
from daemon.model.frame import seconds
from daemon.model.load import load
from daemon.sync.engine import Engine

from fakes.memory import MemorySource
from helpers.archive import ME


def test_fractional_seconds_floor_on_every_dialect(store):
    """Times are whole UTC seconds in the frame: PostgreSQL's EXTRACT(EPOCH) cast to BIGINT
    rounded where SQLite truncates, so 23:59:59.6 became the next day on PostgreSQL."""
    at = datetime(2024, 3, 1, 23, 59, 59, 600000, tzinfo=UTC)  # Gmail's internalDate has ms
    rec = MessageRecord(source_id="s1", message_id="<f@x>", when=at,
                        from_=("Ann <ann@x.com>",), to=(ME,))
    account = MboxAccount(name="a", kind="mbox", path=Path("/nonexistent"))
    cfg = Config(me=MeSettings(addresses=(ME,)), accounts=(account,))
    Engine(store, cfg, Env(state_dir=Path("/tmp")),
           build=lambda acc, env: [MemorySource("a/mail", [rec])]).sync()
    frame = load(store)
    assert frame.t.tolist() == [seconds(at.replace(microsecond=0))]
