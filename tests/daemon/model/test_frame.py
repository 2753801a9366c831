"""The frame load: touchpoint times as whole seconds, the same on every store dialect."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text, update

from connectors.base import Env, MessageRecord
from connectors.settings import MboxAccount
from daemon.config import Config, MeSettings
from daemon.model.frame import by_person_then_time, seconds
from daemon.model.load import load
from daemon.store import columns
from daemon.store.models import Touchpoint
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


def test_columns_come_in_id_order_whatever_the_storage_order(store, monkeypatch):
    """The load is one unordered scan on PostgreSQL, put in id order afterwards: a row that an
    update moved to the end of the table changes nothing, and thread codes stay
    first-appearance numbers (-1 for no thread)."""
    base = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    recs = [MessageRecord(source_id=f"s{i}", message_id=f"<m{i}@x>",
                          when=base.replace(hour=9 + i), from_=(f"P{i % 3} <p{i % 3}@x.com>",),
                          to=(ME,), references=("<m0@x>",) if i % 2 else ())
            for i in range(6)]
    account = MboxAccount(name="a", kind="mbox", path=Path("/nonexistent"))
    cfg = Config(me=MeSettings(addresses=(ME,)), accounts=(account,))
    Engine(store, cfg, Env(state_dir=Path("/tmp")),
           build=lambda acc, env: [MemorySource("a/mail", recs)]).sync()
    before = load(store)
    with store.transaction() as s:
        s.execute(text("UPDATE touchpoints SET group_size = group_size WHERE id = "
                       "(SELECT min(id) FROM touchpoints)"))
    after = load(store)
    monkeypatch.setattr(columns, "_PG_CHUNK", 2)  # PostgreSQL reads in id ranges: same frame
    monkeypatch.setattr(columns, "_SQLITE_CHUNK", 2)  # and SQLite its thread keys
    chunked = load(store)
    assert len(before) == 6
    for name in ("person", "t", "direction", "meeting", "group", "noise", "direct", "thread"):
        assert getattr(before, name).tolist() == getattr(after, name).tolist(), name
        assert getattr(before, name).tolist() == getattr(chunked, name).tolist(), name
    assert before.thread.min() >= 1


def test_times_before_1970_floor_too(store):
    """SQLite reads a time from 1970 on with unixepoch() alone, which truncates toward zero:
    before 1970 that is not a floor, so those times are cut to whole seconds first. (A sync
    writes nothing before 1990; a store edited by hand may hold such a row.)"""
    rec = MessageRecord(source_id="s1", message_id="<old@x>",
                        when=datetime(2024, 3, 1, tzinfo=UTC),
                        from_=("Ann <ann@x.com>",), to=(ME,))
    account = MboxAccount(name="a", kind="mbox", path=Path("/nonexistent"))
    cfg = Config(me=MeSettings(addresses=(ME,)), accounts=(account,))
    Engine(store, cfg, Env(state_dir=Path("/tmp")),
           build=lambda acc, env: [MemorySource("a/mail", [rec])]).sync()
    with store.transaction() as s:
        s.execute(update(Touchpoint).values(
            at=datetime(1969, 12, 31, 23, 59, 59, 600000, tzinfo=UTC)))
    assert load(store).t.tolist() == [-1]


def test_a_thread_key_holding_the_separator_is_read_too(store):
    """SQLite joins the thread keys with a control character no key written by a sync holds;
    a key edited by hand to hold it is read row by row instead, with the same codes."""
    recs = [MessageRecord(source_id=f"s{i}", message_id=f"<k{i}@x>",
                          when=datetime(2024, 3, 1, 9 + i, tzinfo=UTC),
                          from_=(f"P{i} <p{i}@x.com>",), to=(ME,)) for i in range(3)]
    account = MboxAccount(name="a", kind="mbox", path=Path("/nonexistent"))
    cfg = Config(me=MeSettings(addresses=(ME,)), accounts=(account,))
    Engine(store, cfg, Env(state_dir=Path("/tmp")),
           build=lambda acc, env: [MemorySource("a/mail", recs)]).sync()
    with store.transaction() as s:
        s.execute(text("UPDATE touchpoints SET thread_key = CASE WHEN id = "
                       "(SELECT max(id) FROM touchpoints) THEN 'm:z' ELSE :k END"),
                  {"k": "m:a\x1fb"})
    frame = load(store)  # one person each, in id order
    assert frame.thread.tolist() == [1, 1, 2]


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(-2**60, 2**60)), max_size=60),
       st.booleans())
def test_rows_sort_by_person_then_time_as_lexsort_does(rows, narrow):
    """The packed-key sort gives lexsort's order (ties keep row order), and wide time spans
    that do not pack fall back to lexsort itself."""
    person = np.array([p for p, _ in rows], dtype=np.int32)
    t = np.array([t // 2**30 if narrow else t for _, t in rows], dtype=np.int64)
    assert by_person_then_time(person, t).tolist() == np.lexsort((t, person)).tolist()
