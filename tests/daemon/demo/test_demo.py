"""``keepwarm demo``: the seeded history goes through real files, connectors and sync engine,
and the summary names exactly what was planted."""

from __future__ import annotations

import argparse
import json
import mailbox
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
import time_machine

from daemon.cli import demo as demo_cmd
from daemon.cli.context import Context
from daemon.demo.history import build_history
from daemon.demo.run import run_demo
from daemon.summary.render import render_text

AS_OF = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # mail dated after "now" would be implausible


@pytest.fixture(scope="module", autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture(scope="module")
def demo(_clock):
    return run_demo(seed=7, as_of=AS_OF)


def test_history_is_deterministic_per_seed_and_as_of() -> None:
    a, b = build_history(AS_OF, 3), build_history(AS_OF, 3)
    assert [(m.at, m.sender, m.mid) for m in a.messages] == [
        (m.at, m.sender, m.mid) for m in b.messages]
    assert a.roles == b.roles
    assert build_history(AS_OF, 4).roles != a.roles


def test_everything_imports_through_the_real_engine(demo) -> None:
    assert [(r.name, r.status) for r in demo.results] == [("demo-mail", "ok"),
                                                          ("demo-calendar", "ok")]
    mail, cal = (r.streams[0] for r in demo.results)
    assert mail.records == demo.messages > 1500 and not mail.skipped
    assert cal.records >= demo.meetings  # the recurring team sync expands to occurrences


def test_summary_names_the_planted_fades(demo) -> None:
    text = render_text(demo.summary)
    losing = {e.key for e in demo.summary.losing_touch}
    for name, address in demo.history.fading:
        assert address in losing and name in text
    shapes = {e.key: e.shape for e in demo.summary.losing_touch}
    roles = demo.history.roles
    assert shapes[roles["fade_owe"][0][1]] == "owe_reply"
    assert shapes[roles["fade_quiet"][0][1]] == "they_went_quiet"


def test_summary_sections_match_the_plant(demo) -> None:
    roles, s = demo.history.roles, demo.summary
    assert {e.key for e in s.dormant} == {p[1] for p in roles["dormant"]}
    assert {o.address for o in s.owed} == {p[1] for p in roles["owed"]}
    assert {n.address for n in s.new} == {p[1] for p in roles["new"]}
    shown = {e.key for e in s.losing_touch + s.dormant}
    machines = {"news@weeklybrief.example", "no-reply@billing.example",
                "notifications@tracker.example", roles["upcoming"][0][1]}
    assert not shown & machines  # bulk, automated, and a meeting already booked
    assert not any(k.startswith("staff") for k in shown)  # the all-hands crowd
    assert [h.status for h in s.health] == ["ok", "ok"]


def test_files_are_real_mbox_and_ics(tmp_path: Path) -> None:
    run = run_demo(seed=7, as_of=AS_OF, keep=tmp_path / "demo")
    folder = run.folder
    assert folder is not None
    box = mailbox.mbox(folder / "demo.mbox")
    assert len(box) == run.messages
    assert all(not m.get_payload() and m["Subject"] is None for m in box)
    assert sum(1 for m in box if m["List-Unsubscribe"]) > 100
    cal = icalendar.Calendar.from_ical((folder / "demo.ics").read_bytes())
    assert len(cal.walk("VEVENT")) == run.meetings
    assert "[store]" in (folder / "config.toml").read_text()
    again = run_demo(seed=7, as_of=AS_OF, keep=folder)  # a kept folder is started over
    assert again.summary.losing_touch == run.summary.losing_touch


def test_cli_needs_no_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    demo_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["demo", "--seed", "7", "--as-of", "2026-11-23",
                              "--format", "json", "--all"])
    assert args.needs_config is False
    ctx = Context(tmp_path / "absent.toml", require_config=False)
    assert args.func(args, ctx) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["week"] == "2026-W48" and len(data["everyone"]) > 20
    assert not (tmp_path / "absent.toml").exists()


def test_cli_writes_eml_atomically(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    demo_cmd.register(parser.add_subparsers())
    out = tmp_path / "summary.eml"
    args = parser.parse_args(["demo", "--as-of", "2026-11-23", "--format", "eml",
                              "--out", str(out)])
    assert args.func(args, Context(tmp_path / "absent.toml", require_config=False)) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert b"multipart/alternative" in out.read_bytes()


def test_the_demo_summary_offers_the_mailed_actions(demo) -> None:
    """The demo ends in the weekly summary as the daemon sends it, so each person slipping away
    carries the actions to mail yourself (issue 16), addressed to the demo's own [me]."""
    text = render_text(demo.summary)
    for entry in demo.summary.losing_touch:
        assert [a.command for a in entry.actions][:3] == ["snooze4w", "snooze3m", "ignoreperson"]
        assert all(a.url in text for a in entry.actions)
        assert all(a.address.startswith("alex+kw.") for a in entry.actions)
