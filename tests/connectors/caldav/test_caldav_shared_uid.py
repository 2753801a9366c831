"""One meeting in two calendars of an account (the same UID invited into both, or a shared
calendar beside one's own): one meeting, counted once, whichever calendar changes or drops
its copy, as long as one still holds it. Through the real engine and store, against Radicale.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from connectors.base import Env
from connectors.settings import CalDavAccount
from daemon.config import Config, MeSettings
from daemon.store import Store
from daemon.store.models import Item, ItemSource, Touchpoint
from daemon.sync.engine import Engine

from helpers.radicale import NOW, USER, Radicale, fresh, vevent

WEEKLY = "ATTENDEE:mailto:carol@x.org\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\n"
ONCE = "ATTENDEE:mailto:dave@x.org\r\n"


def counts(store: Store) -> tuple[int, int, int]:
    """Items, their sources, touchpoints."""
    with store.session() as s:
        return tuple(int(s.scalar(select(func.count()).select_from(t)) or 0)  # type: ignore[return-value]
                     for t in (Item, ItemSource, Touchpoint))


def sync(server: Radicale, store: Store, tmp_path: Path, cals: tuple[str, ...]) -> None:
    account = CalDavAccount(name="t", kind="caldav", url=server.url, username=USER,
                            password_env="KW_TEST_CALDAV_PW", calendars=cals)
    config = Config(me=MeSettings(addresses=("me@y.org",)), accounts=(account,))
    [result] = Engine(store, config, Env(state_dir=tmp_path, now=lambda: NOW)).sync()
    assert result.status == "ok", result.error


def scratch(server: Radicale, tmp_path: Path, cals: tuple[str, ...]) -> tuple[int, int, int]:
    """What a sync from nothing keeps."""
    store = Store(f"sqlite:///{tmp_path / 'scratch.db'}")
    sync(server, store, tmp_path / "scratch", cals)
    try:
        return counts(store)
    finally:
        store.dispose()
        (tmp_path / "scratch.db").unlink()


def test_one_meeting_in_two_calendars_counts_once(radicale: Radicale, tmp_path: Path,
                                                  monkeypatch) -> None:
    from helpers.radicale import PASSWORD

    monkeypatch.setenv("KW_TEST_CALDAV_PW", PASSWORD)
    mine, shared = fresh(radicale), fresh(radicale)
    cals = (mine, shared)
    for cal in cals:
        radicale.put_event(cal, "w.ics", vevent("weekly-1", NOW - timedelta(days=30), WEEKLY))
        radicale.put_event(cal, "o.ics", vevent("once-1", NOW - timedelta(days=3), ONCE))
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    sync(radicale, store, tmp_path, cals)
    assert counts(store) == (7, 14, 14)  # 6 occurrences + 1 meeting, each held twice;
    # each has two counterparts (Bob organizes), so 14 touchpoints, not 28
    radicale.put_event(mine, "w.ics", vevent("weekly-1", NOW - timedelta(days=30),
                                             WEEKLY + "LOCATION:Room 2\r\n"))
    sync(radicale, store, tmp_path, cals)  # one copy of the series changed
    assert counts(store) == (7, 14, 14) == scratch(radicale, tmp_path, cals)
    radicale.delete(f"{mine}/w.ics")
    radicale.delete(f"{mine}/o.ics")
    sync(radicale, store, tmp_path, cals)  # dropped from one calendar, still in the other
    assert counts(store) == (7, 7, 14) == scratch(radicale, tmp_path, cals)
    store.dispose()
