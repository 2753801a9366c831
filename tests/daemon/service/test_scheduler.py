"""The weekly summary is sent exactly once per ISO week: slots, DST, restarts, catch-up,
retries. Time is a clock the test controls (the daemon's injected ``clock``)."""

from __future__ import annotations

import errno
import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from connectors.base import Env
from connectors.errors import SourceUnavailable
from daemon import config as config_mod
from daemon.service.scheduler import RETRY_AFTER, Daemon, summary_trigger
from daemon.store.models import SentSummary
from daemon.summary import claims
from daemon.summary import ledger as weekly
from daemon.summary.content import week_label

BERLIN = ZoneInfo("Europe/Berlin")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Outbox:
    """Stand-in delivery: records (week, message); fails while ``failures`` > 0."""

    def __init__(self) -> None:
        self.sent: list[tuple[str | None, EmailMessage]] = []
        self.failures = 0

    def __call__(self, message: EmailMessage, config: Any, env: Env, *, week: str | None = None,
                 **kwargs: Any) -> str:
        if self.failures:
            self.failures -= 1
            raise OSError("connection refused")
        self.sent.append((week, message))
        return f"<id-{week}@test>"


class Notes:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def status(self, text: str) -> bool:
        self.lines.append(text)
        return True

    def ready(self, status: str = "") -> bool:
        self.lines.append("READY")
        return True

    def stopping(self) -> bool:
        return True

    def watchdog_interval(self) -> None:
        return None


def compose(store: Any, config: Any, as_of: datetime) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"summary as of {as_of.isoformat()}"
    msg.set_content("text")
    return msg


def make_config(tmp_path: Path, weekday: str = "mon", time: str = "08:00",
                extra: str = "") -> config_mod.Config:
    text = (f'[report]\ntimezone = "Europe/Berlin"\nweekday = "{weekday}"\ntime = "{time}"\n'
            f'[delivery]\nmethod = "file"\nfolder = "{tmp_path / "out"}"\nto = "me@x.org"\n'
            '[[accounts]]\nname = "a"\nkind = "mbox"\npath = "/nonexistent"\n'
            '[[accounts]]\nname = "b"\nkind = "mbox"\npath = "/nonexistent"\n'
            '[[accounts]]\nname = "off"\nkind = "mbox"\npath = "/nonexistent"\nenabled = false\n'
            + extra)
    path = tmp_path / "config.toml"
    path.write_text(text)
    return config_mod.parse(text, path)


@pytest.fixture
def world(tmp_path: Path, store: Any) -> dict[str, Any]:
    return {"config": make_config(tmp_path), "store": store, "outbox": Outbox(),
            "env": Env(state_dir=tmp_path / "state"), "tmp": tmp_path}


def start(world: dict[str, Any], now: datetime, build: Any = None) -> Daemon:
    """A daemon as after a (re)start at ``now``, jobs scheduled but the scheduler not running."""
    d = Daemon(world["config"], world["store"], world["env"], notifier=Notes(),  # type: ignore[arg-type]
               clock=Clock(now), compose=compose, deliver=world["outbox"],
               build=build or (lambda account, env: []))
    d.schedule()
    return d


def ledger(store: Any) -> list[str]:
    with store.session() as s:
        return list(s.execute(select(SentSummary.iso_week).where(SentSummary.status == "sent")
                              .order_by(SentSummary.iso_week)).scalars())


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_slots_follow_the_wall_clock_across_dst(tmp_path: Path) -> None:
    report = make_config(tmp_path).report
    before = weekly.slot_in_week(report, 2026, 13)  # Mon 23 March, CET
    after = weekly.slot_in_week(report, 2026, 14)  # Mon 30 March, CEST (DST began 29 March)
    assert before.astimezone(UTC) == datetime(2026, 3, 23, 7, 0, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    autumn = weekly.slot_in_week(report, 2026, 44)  # Mon 26 Oct, CET again (DST ended 25 Oct)
    assert autumn.astimezone(UTC) == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert weekly.this_week(report, berlin(2026, 3, 29, 23, 0)) == ("2026-W13", before)


@pytest.mark.parametrize("weekday,time", [("mon", "08:00"), ("sun", "02:30"), ("sun", "10:00")])
def test_cron_fires_through_dst_send_one_summary_per_week(
        world: dict[str, Any], weekday: str, time: str) -> None:
    """Walk APScheduler's trigger the way the scheduler does from March to November and run
    the summary job at every fire. Sunday 02:30 does not exist on 29 March and happens twice
    on 25 October (the trigger fires twice that day): still one summary per ISO week."""
    config = make_config(world["tmp"], weekday, time)
    world["config"] = config
    trigger = summary_trigger(config)
    fire = trigger.get_next_fire_time(None, berlin(2026, 3, 1))
    fires = []
    while fire is not None and fire < berlin(2026, 11, 30):
        fires.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    d = start(world, fires[0])
    for fire in fires:
        label, slot = weekly.this_week(config.report, fire)
        assert abs((fire - slot).total_seconds()) <= 3600  # the repeated autumn hour at most
        d.clock.now = fire  # type: ignore[attr-defined]
        d.summary_job()
    weeks = [w for w, _ in world["outbox"].sent]
    assert len(weeks) == len(set(weeks)) == len({weekly.this_week(config.report, f)[0]
                                                 for f in fires})
    assert "2026-W13" in weeks and "2026-W43" in weeks  # both DST weeks
    every_week = {week_label(fires[0].date() + timedelta(days=7 * k))
                  for k in range((fires[-1].date() - fires[0].date()).days // 7 + 1)}
    assert set(weeks) == every_week and ledger(world["store"]) == sorted(weeks)


def test_none_sent_before_the_slot_and_one_at_it(world: dict[str, Any]) -> None:
    d = start(world, berlin(2026, 3, 30, 7, 59))  # DST week: the slot is 06:00 UTC
    assert d.scheduler.get_job("catch-up") is None
    d.summary_job()
    assert world["outbox"].sent == []
    d.clock.now = berlin(2026, 3, 30, 8, 0)  # type: ignore[attr-defined]
    d.summary_job()
    d.summary_job()
    assert [w for w, _ in world["outbox"].sent] == ["2026-W14"]
    assert ledger(world["store"]) == ["2026-W14"]


def test_exactly_once_per_week_across_restarts(world: dict[str, Any]) -> None:
    sent_weeks = []
    for day in range(0, 21):  # three weeks, a restart every 8 hours
        for hour in (1, 9, 17):
            d = start(world, berlin(2026, 10, 12, hour) + timedelta(days=day))
            if d.scheduler.get_job("catch-up"):
                d.summary_job()
            d.sync_tick("a")
    sent_weeks = [w for w, _ in world["outbox"].sent]
    assert sent_weeks == ["2026-W42", "2026-W43", "2026-W44"]  # W44 starts after DST ends
    assert ledger(world["store"]) == sent_weeks


def test_catch_up_after_downtime_and_not_last_weeks(world: dict[str, Any]) -> None:
    # Off from Friday to Wednesday: this week's Monday slot was missed, catch up at start.
    d = start(world, berlin(2026, 11, 25, 12, 0))
    assert d.scheduler.get_job("catch-up") is not None
    d.summary_job()
    assert [w for w, _ in world["outbox"].sent] == ["2026-W48"]
    # Off through the next Monday slot until Monday 07:00 a week later: W49's summary is
    # next week's turn already; W48 is done and W49 is not due yet, so nothing is sent.
    d = start(world, berlin(2026, 12, 7, 7, 0))
    assert d.scheduler.get_job("catch-up") is None
    assert weekly.owed(world["store"], world["config"].report, d.clock()) is None


def test_the_missed_week_is_not_sent_late(world: dict[str, Any]) -> None:
    """W48 was never sent (off all week); on the next Monday before 08:00 it is not owed."""
    d = start(world, berlin(2026, 11, 30, 7, 30))
    assert d.scheduler.get_job("catch-up") is None
    d.summary_job()
    assert world["outbox"].sent == []


def test_failed_delivery_is_retried_on_a_later_tick_never_duplicated(
        world: dict[str, Any]) -> None:
    world["outbox"].failures = 1
    d = start(world, berlin(2026, 11, 23, 8, 0))
    d.summary_job()
    assert world["outbox"].sent == [] and ledger(world["store"]) == []
    d.clock.now += RETRY_AFTER / 2  # type: ignore[attr-defined]
    d.sync_tick("a")  # too soon: no retry
    assert world["outbox"].sent == []
    d.clock.now += RETRY_AFTER  # type: ignore[attr-defined]
    d.sync_tick("a")
    d.sync_tick("b")
    assert [w for w, _ in world["outbox"].sent] == ["2026-W48"]
    assert ledger(world["store"]) == ["2026-W48"]


def test_a_failing_account_does_not_block_the_summary(world: dict[str, Any]) -> None:
    def build(account: Any, env: Env) -> list[Any]:
        if account.name == "a":
            raise SourceUnavailable("server down", hint="later")
        return []

    d = start(world, berlin(2026, 11, 23, 8, 0), build=build)
    d.summary_job()
    assert [w for w, _ in world["outbox"].sent] == ["2026-W48"]
    assert "1/2 ok (a: error)" in d.notifier.lines[-1]  # type: ignore[attr-defined]


def test_jobs_come_from_the_config(world: dict[str, Any]) -> None:
    d = start(world, berlin(2026, 11, 24, 12, 0))
    ids = sorted(j.id for j in d.scheduler.get_jobs())
    assert ids == ["catch-up", "summary", "sync:a", "sync:b"]  # "off" is disabled
    d.scheduler.start(paused=True)  # pending jobs get the job defaults when the scheduler starts
    try:
        job = d.scheduler.get_job("sync:a")
        assert job.trigger.interval == timedelta(minutes=15) and job.trigger.jitter == 60
        assert job.max_instances == 1 and job.coalesce is True
        assert job.misfire_grace_time is None  # a late run (after suspend) still runs
    finally:
        d.scheduler.shutdown(wait=False)


def test_reload_rejects_a_bad_config_and_keeps_the_old(world: dict[str, Any]) -> None:
    d = start(world, berlin(2026, 11, 24, 12, 0))
    path = world["tmp"] / "new.toml"
    path.write_text('[report]\ntimezone = "Mars/Olympus"\n')
    assert d.reload(path) is False
    assert d.config is world["config"]
    path.write_text('[daemon]\nsync_interval = "5min"\n[[accounts]]\nname = "c"\nkind = "mbox"\n'
                    'path = "/x"\n')
    assert d.reload(path) is True
    assert sorted(j.id for j in d.scheduler.get_jobs()) == ["sync:c"]  # delivery now "none"
    assert d.scheduler.get_job("sync:c").trigger.interval == timedelta(minutes=5)


def test_crash_between_send_and_outcome_is_never_resent_silently(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The intent is recorded before the send: a crash before the outcome leaves "sending",
    which no later tick resends; ``send-summary`` resends it on purpose, and that copy carries
    the week's Message-ID and file name, so the reader still sees one summary."""
    now = berlin(2026, 11, 23, 9, 0)
    config, store, env = world["config"], world["store"], world["env"]

    def crash(*args: Any, **kwargs: Any) -> bool:
        raise SystemExit("power cut")

    monkeypatch.setattr(claims, "settle", crash)
    with pytest.raises(SystemExit):
        weekly.send_owed(store, config, env, now)  # the real summary message
    monkeypatch.undo()
    first = (world["tmp"] / "out" / "keepwarm-2026-W48.eml").read_bytes()
    later = now + timedelta(hours=2)  # a later tick of the same week
    assert weekly.owed(store, config.report, later) is None
    assert weekly.send_owed(store, config, env, later) is None
    assert claims.unknown(claims.row(store, "2026-W48"), later)
    assert weekly.send_owed(store, config, env, later, manual=True) == "2026-W48"
    files = list((world["tmp"] / "out").iterdir())
    assert [f.name for f in files] == ["keepwarm-2026-W48.eml"]
    second = files[0].read_bytes()
    mid = [line for line in first.splitlines() if line.startswith(b"Message-ID")]
    assert mid and mid == [line for line in second.splitlines()
                           if line.startswith(b"Message-ID")]
    assert b"<keepwarm.2026-W48.b8f958d237f9@x.org>" in mid[0]  # recipient + week
    assert weekly.send_owed(store, config, env, later, compose=compose) is None
    assert ledger(store) == ["2026-W48"]


def test_a_sync_running_past_midnight_sends_the_slots_week(tmp_path: Path, store: Any) -> None:
    world = {"config": make_config(tmp_path, weekday="sun", time="23:30"), "store": store,
             "outbox": Outbox(), "env": Env(state_dir=tmp_path / "state"), "tmp": tmp_path}
    clock = Clock(berlin(2026, 11, 29, 23, 30))  # Sunday of 2026-W48

    def slow_build(account: Any, env: Env) -> list[Any]:
        clock.now = berlin(2026, 11, 30, 0, 20)  # the syncs end on Monday, in W49
        return []

    d = Daemon(world["config"], store, world["env"], notifier=Notes(),  # type: ignore[arg-type]
               clock=clock, compose=compose, deliver=world["outbox"], build=slow_build)
    d.schedule()
    d.summary_job()
    assert [w for w, _ in world["outbox"].sent] == ["2026-W48"]


def test_every_job_gives_its_memory_back(world: dict[str, Any],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from daemon.service import jobs

    released: list[int] = []
    monkeypatch.setattr(jobs, "release_memory", lambda: released.append(1))
    d = start(world, berlin(2026, 3, 30, 8, 0))
    d.sync_tick("a")
    d.summary_job()
    assert len(released) == 2 and [w for w, _ in world["outbox"].sent] == ["2026-W14"]


def test_release_memory_runs_on_this_c_library() -> None:
    from daemon.service.scheduler import release_memory

    release_memory()  # gc.collect() and, on glibc, malloc_trim(0): never raises


@pytest.mark.parametrize("fault", [
    sqlite3.DatabaseError("database disk image is malformed"),
    OperationalError("UPDATE streams", {}, sqlite3.OperationalError("database is locked")),
    OSError(errno.ENOSPC, "No space left on device"),
])
@pytest.mark.parametrize("job", ["sync_tick", "summary_job"])
def test_a_store_fault_in_a_job_is_one_log_line_and_the_daemon_goes_on(
        world: dict[str, Any], caplog: pytest.LogCaptureFixture, fault: Exception,
        job: str) -> None:
    """A store that breaks while the daemon runs (damaged, locked, disk full) is logged as one
    line with its fix, never APScheduler's traceback, and the next tick runs as usual."""
    d = start(world, berlin(2026, 11, 30, 9, 0))

    def broken(names: Any = None) -> Any:
        raise fault

    d.engine.sync = broken  # type: ignore[method-assign]
    caplog.set_level(logging.INFO)
    getattr(d, job)(*(["a"] if job == "sync_tick" else []))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None, errors
    assert "fix:" in errors[0].getMessage()
