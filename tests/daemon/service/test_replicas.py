"""Several replicas on one store: two ``Daemon`` objects in one process share the work through
the store's leases (each account synced by one at a time, an expired lease taken over, each
member's summary sent once per ISO week, a sender killed mid-send settled by the other);
SQLite refuses the second daemon. Time is a clock the test moves."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Env
from daemon import config as config_mod
from daemon.errors import KeepwarmError
from daemon.service import work
from daemon.service.limits import SharedLimit
from daemon.service.scheduler import Daemon
from daemon.store import buckets, lease, replicas
from daemon.summary import claims, delivery
from daemon.summary import ledger as weekly

SLOT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 08:00 Berlin, 2026-W48
MEMBERS = ("alice", "bob")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Notes:
    def status(self, text: str) -> bool:
        return True

    def ready(self, status: str = "") -> bool:
        return True

    def stopping(self) -> bool:
        return True

    def watchdog_interval(self) -> None:
        return None


def compose(store: Any, config: Any, as_of: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = config.delivery.to
    msg["Message-ID"] = f"<{weekly.this_week(config.report, as_of)[0]}.{config.delivery.to}>"
    msg.set_content("text")
    return msg


def member_config(tmp: Path, name: str) -> config_mod.Config:
    text = ('[report]\ntimezone = "Europe/Berlin"\nweekday = "mon"\ntime = "08:00"\n'
            f'[delivery]\nmethod = "file"\nfolder = "{tmp / name}"\nto = "{name}@x.org"\n'
            f'[[accounts]]\nname = "{name}.a"\nkind = "mbox"\npath = "/nonexistent"\n'
            f'[[accounts]]\nname = "{name}.b"\nkind = "mbox"\npath = "/nonexistent"\n')
    return config_mod.parse(text, tmp / f"{name}.toml")


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> config_mod.Config:
    """A two-member team (``Config.team()`` stand-in until the team config lands)."""
    configs = {name: member_config(tmp_path, name) for name in MEMBERS}
    names = {id(c): n for n, c in configs.items()}
    monkeypatch.setattr(work, "team", lambda config: tuple(configs.values()))
    monkeypatch.setattr(work, "member_name", lambda config: names[id(config)])
    return configs["alice"]


@pytest.fixture
def pg(store: Any) -> Any:
    if store.sqlite:
        pytest.skip("several replicas need PostgreSQL")
    return store


class World:
    """Two replicas on one store; ``synced`` records (replica, account) of every sync."""

    def __init__(self, config: Any, store: Any, tmp: Path, now: datetime) -> None:
        self.clock = Clock(now)
        self.synced: list[tuple[str, str]] = []
        self.sent: list[tuple[str, str | None]] = []
        self.during: dict[str, Any] = {}  # account -> what runs in the middle of its sync
        self.replicas = [self._daemon(config, store, tmp, tag) for tag in ("A", "B")]

    def _daemon(self, config: Any, store: Any, tmp: Path, tag: str) -> Daemon:
        def build(account: Any, env: Env) -> list[Any]:
            self.synced.append((tag, account.name))
            if (hook := self.during.pop(account.name, None)) is not None:
                hook()
            return []

        def deliver(message: EmailMessage, config: Any, env: Env, *, week: str | None = None,
                    **kwargs: Any) -> str:
            self.sent.append((config.delivery.to, week))
            return str(message["Message-ID"])

        d = Daemon(config, store, Env(state_dir=tmp / tag), notifier=Notes(),  # type: ignore[arg-type]
                   clock=self.clock, compose=compose, deliver=deliver, build=build)
        d.schedule()
        return d


def test_each_account_is_synced_by_exactly_one_replica(team: Any, pg: Any,
                                                        tmp_path: Path) -> None:
    w = World(team, pg, tmp_path, SLOT - timedelta(days=1))
    a, b = w.replicas
    accounts = [f"{m}.{x}" for m in MEMBERS for x in "ab"]
    assert sorted(j.id for j in a.scheduler.get_jobs()) == sorted(  # W47's is owed still
        [*(f"sync:{n}" for n in accounts), "summary:alice", "summary:bob",
         "catch-up:alice", "catch-up:bob"])
    for name in accounts:  # B's tick comes while A is in the middle of the account
        w.during[name] = lambda name=name: b.sync_tick(name)
        a.sync_tick(name)
    assert w.synced == [("A", n) for n in accounts]
    b.sync_tick("bob.a")  # A is done: the lease was given back
    assert w.synced[-1] == ("B", "bob.a") and lease.holders(pg) == []


def test_an_expired_lease_is_taken_over_and_a_long_sync_keeps_its_lease(
        team: Any, pg: Any, tmp_path: Path) -> None:
    t0 = SLOT - timedelta(days=1)
    w = World(team, pg, tmp_path, t0)
    a, b = w.replicas
    # A replica killed mid-sync leaves its lease behind; it lapses TTL after its last renewal.
    assert lease.take(pg, "sync:alice.a", "dead-replica", t0).won
    w.clock.now = t0 + lease.TTL - timedelta(seconds=1)
    b.sync_tick("alice.a")
    assert w.synced == []
    w.clock.now = t0 + lease.TTL
    b.sync_tick("alice.a")
    assert w.synced == [("B", "alice.a")]

    def long_sync() -> None:  # three renewals' worth of time inside one sync of A's
        for _ in range(4):
            w.clock.now += lease.RENEW_EVERY
            a.keep_lease()
        b.sync_tick("alice.b")  # past the first TTL: still A's

    w.during["alice.b"] = long_sync
    a.sync_tick("alice.b")
    assert w.synced[1:] == [("A", "alice.b")]
    holder = replicas.find(pg, "sync:alice.b")
    assert holder is None  # released at the end of the job


def test_each_members_summary_is_sent_once_by_racing_replicas(team: Any, pg: Any,
                                                              tmp_path: Path) -> None:
    w = World(team, pg, tmp_path, SLOT + timedelta(hours=2))  # past the slot: both catch up
    start = threading.Barrier(4)

    def race(job: Any, *args: Any) -> None:
        start.wait(10)
        job(*args)

    threads = [threading.Thread(target=race, args=(d.summary_job,)) for d in w.replicas]
    threads += [threading.Thread(target=race, args=(d.sync_tick, "bob.a"))
                for d in w.replicas]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for d in w.replicas:  # later ticks of both change nothing
        d.summary_job()
        d.sync_tick("alice.b")
    assert sorted(w.sent) == [("alice@x.org", "2026-W48"), ("bob@x.org", "2026-W48")]
    lines = replicas.lines(pg, w.clock.now)
    assert [line.split(" 2026-11")[0] for line in lines] == [
        "summary of alice: 2026-W48 sent", "summary of bob: 2026-W48 sent"]


@pytest.mark.parametrize("got_through", [True, False])
def test_a_sender_killed_mid_send_is_settled_by_the_other_replica_once_its_lease_expires(
        team: Any, pg: Any, tmp_path: Path, got_through: bool) -> None:
    """A's process dies while it sends alice's summary (the week stays ``sending``, its lease
    stays behind). B leaves the week alone while the lease is live; once it has expired, B
    takes it over and settles the week: the week's file holds the Message-ID (it got
    through), so it is marked sent without a second copy, or it is not, and B sends it."""
    now = SLOT + timedelta(minutes=5)
    w = World(team, pg, tmp_path, now)
    a, b = w.replicas
    alice = a.members["alice"]

    def dies(message: EmailMessage, config: Any, env: Env, **kwargs: Any) -> str:
        if got_through:
            delivery.write_eml(message, config.delivery, kwargs.get("week"))
        raise SystemExit("kill -9")

    a.deliver = dies
    with pytest.raises(SystemExit):
        a.summary_job("alice")
    # what a kill leaves: the claim, and the summary lease until it lapses
    assert lease.take(pg, "summary:alice", a.tenancy.replica, now).won
    assert claims.row(alice.store, "2026-W48").status == "sending"  # type: ignore[union-attr]
    w.clock.now = now + timedelta(minutes=1)
    b.sync_tick("alice.a")
    b.summary_job("alice")
    assert w.sent == [] and claims.row(alice.store, "2026-W48").status == "sending"  # type: ignore[union-attr]
    w.clock.now = now + lease.TTL
    b.sync_tick("alice.a")
    row = claims.row(alice.store, "2026-W48")
    assert row is not None and row.status == "sent"
    assert w.sent == ([] if got_through else [("alice@x.org", "2026-W48")])
    b.summary_job("alice")
    assert len(w.sent) == (0 if got_through else 1)


def test_sqlite_refuses_a_second_daemon_and_postgresql_takes_any_number(
        tmp_path: Path, store: Any) -> None:
    config = member_config(tmp_path, "me")
    first, second = (Daemon(config, store, Env(state_dir=tmp_path / t), notifier=Notes())  # type: ignore[arg-type]
                     for t in "AB")
    first.tenancy.take()
    if store.sqlite:
        with pytest.raises(KeepwarmError, match="another keepwarm daemon runs on this store"):
            second.tenancy.take()
        assert first.workers == 1
        line = replicas.lines(store, datetime.now(UTC))[0]
        assert line.startswith(f"lease daemon: held by replica {first.tenancy.replica} since ")
        return
    second.tenancy.take()
    names = [h.name for h in replicas.holders(store)]
    assert sorted(names) == sorted(f"replica:{d.tenancy.replica}" for d in (first, second))
    assert first.workers == 4 and first.env.throttle is not None
    second.tenancy.give_back()
    assert [h.name for h in replicas.holders(store)] == [f"replica:{first.tenancy.replica}"]


def test_the_graph_budget_is_shared_through_the_store(store: Any) -> None:
    t = datetime(2026, 12, 1, tzinfo=UTC)
    key = "graph:tenant:client"
    assert buckets.take(store, key, 10, rate=10.0, burst=20.0, now=t) == 0.0
    assert buckets.take(store, key, 10, rate=10.0, burst=20.0, now=t) == 0.0
    assert buckets.take(store, key, 10, rate=10.0, burst=20.0, now=t) == pytest.approx(1.0)
    assert buckets.take(store, key, 10, rate=10.0, burst=20.0, now=t + timedelta(seconds=1)) \
        == 0.0
    clock, slept = Clock(t + timedelta(seconds=1)), []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += timedelta(seconds=seconds)

    # two replicas' limiters on one bucket: 25 requests need 2.5 s at 10 a second
    limits = [SharedLimit(store, rate=10.0, burst=20.0, block=5, clock=clock, sleep=sleep)
              for _ in range(2)]
    for i in range(25):
        limits[i % 2](key)
    assert sum(slept) == pytest.approx(2.5, abs=0.6)


def test_a_job_whose_lease_was_taken_over_stops_and_no_other(pg: Any) -> None:
    """The store was out of reach past the TTL and another replica took the account: at the
    next renewal the job sees its stop set (the engine stops between pages), the others not."""
    from daemon.service.tenancy import Tenancy

    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    clock = Clock(t0)
    mine = Tenancy(pg, clock)
    with mine.hold("sync:alice.a") as taken:
        assert taken.won and not mine.stop.is_set()
        clock.now += lease.TTL
        assert lease.take(pg, "sync:alice.a", "other", clock.now).won
        assert mine.keep(force=True)
        assert mine.stop.is_set()
        seen: list[bool] = []
        other = threading.Thread(target=lambda: seen.append(mine.stop.is_set()))
        other.start()
        other.join(10)
        assert seen == [False]  # another worker's job goes on
    assert not mine.stop.is_set() and replicas.find(pg, "sync:alice.a") is not None  # theirs
