"""Property: however the pages are cut and wherever a run stops, resuming gives the same store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from connectors.base import Env, MessageRecord
from connectors.settings import MboxAccount
from daemon.config import Config, MeSettings
from daemon.store import Store
from daemon.store.models import Contact, Item, Touchpoint
from daemon.sync.engine import Engine

from fakes.memory import MemorySource

ME = "me@example.com"
RECORDS = [
    MessageRecord(source_id=str(i), message_id=f"<{i}@x>",
                  when=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=5 * i),
                  from_=(ME if i % 2 else f"p{i % 5}@x.com",),
                  to=(f"p{i % 5}@x.com, p{(i + 1) % 5}@x.com" if i % 2 else ME,))
    for i in range(30)
]
CFG = Config(me=MeSettings(addresses=(ME,)),
             accounts=(MboxAccount(name="a", kind="mbox", path=Path("/x")),))


def snapshot(store: Store) -> set[tuple]:
    with store.session() as s:
        return set(s.execute(select(Item.identity, Contact.address, Touchpoint.at,
                                    Touchpoint.direction).join(Item).join(Contact)).all())


def run(store: Store, page_size: int, stop_after: int | None) -> None:
    eng = Engine(store, CFG, Env(state_dir=Path("/tmp")),
                 build=lambda acc, env: [MemorySource("a/mail", RECORDS, page_size)])
    if stop_after is not None:
        pages = {"n": 0}
        original = eng.progress.advance

        def advance(task, n):
            pages["n"] += 1
            if pages["n"] >= stop_after:
                eng.stop.set()
            original(task, n)

        eng.progress.advance = advance  # type: ignore[method-assign]
    eng.sync()


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page_size=st.integers(1, 12), stops=st.lists(st.integers(1, 6), max_size=3))
def test_any_cut_and_stop_resumes_to_the_same_store(tmp_path_factory, page_size, stops):
    tmp = tmp_path_factory.mktemp("prop")
    reference = Store(f"sqlite:///{tmp / 'ref.db'}")
    run(reference, 30, None)
    store = Store(f"sqlite:///{tmp / 'cut.db'}")
    for stop in stops:
        run(store, page_size, stop)
    run(store, page_size, None)
    assert snapshot(store) == snapshot(reference)
    reference.dispose()
    store.dispose()
