"""Issue 17: the summary shows people. Mailing lists, group and role addresses and robots are
left out of every section, decided from the store at report time; ``[ignore] keep`` and a
``[[people]]`` group bring one back; ``keepwarm ignore check`` says who and why."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rich.console import Console

from daemon.cli import ignore as ignore_command
from daemon.config import Config
from daemon.model.hidden import Hidden
from daemon.store.models import Account
from daemon.summary.gather import build_summary
from daemon.sync.meaning import Counterpart, Meaning
from daemon.sync.writer import write_page

AS_OF = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday
_seq = iter(range(1, 100_000))


def mail(days: float, to: list[str] | str, direction: str = "inbound", *, thread: str,
         name: str = "", bulk: bool = False) -> Meaning:
    n = next(_seq)
    people = [to] if isinstance(to, str) else to
    return Meaning(f"mid:{n}", None, "email", AS_OF - timedelta(days=days), thread, bulk, False,
                   tuple(Counterpart(a, name, direction, True) for a in people), len(people))


def world() -> list[Meaning]:
    out = []
    # a team alias: never writes, copied on your mail to 24 different people who write to you
    for i in range(24):
        peer = f"peer{i}@corp.example"
        out += [mail(300 - i, peer, thread=f"p{i}"),
                mail(299 - i, [peer, "team@corp.example"], "outbound", thread=f"p{i}")]
    # a list whose posts arrive "from" the list (From rewritten), one of them to you directly
    out += [mail(200 - 20 * i, "dev@lists.example.org", "outbound", thread=f"d{i}")
            for i in range(8)]
    out.append(mail(9, "dev@lists.example.org", thread="d9"))
    # a build robot by its name, which you answered twice this week
    out += [mail(300 - 10 * i, "ci@robots.example", thread=f"r{i}", name="kernel test robot")
            for i in range(30)]
    out += [mail(6, "ci@robots.example", "outbound", thread="r29"),
            mail(4, "ci@robots.example", "outbound", thread="r28")]
    out.append(mail(5, "ci@robots.example", thread="r30", name="kernel test robot"))
    # a robot by its behaviour alone: 60 threads, answered once, never wrote back to it
    out += [mail(250 - 4 * i, "reports@build.example", thread=f"b{i}") for i in range(60)]
    out += [mail(6, "reports@build.example", "outbound", thread="b59"),
            mail(5, "reports@build.example", thread="b60")]
    # a sender whose mail mostly carries bulk or Auto-Submitted headers, the latest not
    out += [mail(40 - 10 * i, "status@ops.example", thread=f"s{i}", bulk=True) for i in range(3)]
    out.append(mail(5, "status@ops.example", thread="s9"))
    # a person, for contrast: owed a reply, and a real exchange
    out += [mail(100, "ann@acme.example", thread="a0"),
            mail(99, "ann@acme.example", "outbound", thread="a0"),
            mail(5, "ann@acme.example", thread="a1")]
    return out


@pytest.fixture
def filled(store):
    with store.transaction() as s:
        s.add(Account(name="work", kind="mbox", status="ok", last_success_at=AS_OF))
        s.flush()
        write_page(s, 1, [(f"s{i}", m) for i, m in enumerate(world())], [])
    return store


def config(**ignore: object) -> Config:
    return Config.model_validate({"me": {"addresses": ["me@acme.example"]}, "ignore": ignore})


NOT_PEOPLE = {"team@corp.example": "list", "dev@lists.example.org": "list",
              "ci@robots.example": "automated", "reports@build.example": "automated",
              "status@ops.example": "automated"}


def _shown(summary) -> set[str]:  # type: ignore[no-untyped-def]
    return ({e.key for e in summary.losing_touch + summary.dormant}
            | {o.address for o in summary.owed} | {n.address for n in summary.new})


def test_lists_and_robots_are_left_out_of_every_section(filled) -> None:
    summary = build_summary(filled, config(), AS_OF)
    assert [o.address for o in summary.owed] == ["ann@acme.example"]
    assert not _shown(summary) & set(NOT_PEOPLE)
    why = {e.key: e.excluded_because for e in summary.everyone}
    assert {a: why[a] for a in NOT_PEOPLE} == NOT_PEOPLE
    assert why["peer3@corp.example"] not in ("list", "automated")  # the people around them


def test_keep_and_a_people_group_bring_one_back(filled) -> None:
    cfg = config(keep=["ci@robots.example", "*@build.example"])
    summary = build_summary(filled, cfg, AS_OF)
    assert {o.address for o in summary.owed} == {
        "ann@acme.example", "ci@robots.example", "reports@build.example"}
    assert "ci@robots.example" in {n.address for n in summary.new}
    grouped = Config.model_validate({"me": {"addresses": ["me@acme.example"]}, "people": [
        {"name": "Dev", "addresses": ["dev@lists.example.org", "ann@acme.example"]}]})
    hidden = Hidden.at(filled, grouped, AS_OF)
    assert not hidden("dev@lists.example.org")  # a person writes from one of the addresses
    assert hidden("team@corp.example")


def test_ignore_check_says_who_was_left_out_and_why_capped_with_a_count(filled) -> None:
    class Ctx:
        config = Config.model_validate({"me": {"addresses": ["me@acme.example"]}})
        console = Console(file=io.StringIO(), width=200)

        def store(self):  # type: ignore[no-untyped-def]
            return filled

    ctx = Ctx()
    with time_machine.travel(AS_OF, tick=False):
        assert ignore_command.run_check(argparse.Namespace(top=5, limit=1), ctx) == 0
    lines = ctx.console.file.getvalue().splitlines()
    assert "Left out as lists, group or role addresses: 2" in lines
    assert ("  team@corp.example: never wrote to you; got your mail in 24 threads with 24 "
            "different correspondents") in lines
    assert lines.count("  and 1 more (--limit 0 lists all)") == 1  # dev@lists..., capped
    assert "Left out as automated senders: 3" in lines
    assert "  and 2 more (--limit 0 lists all)" in lines
    assert any("[ignore] keep" in line for line in lines)
    with time_machine.travel(AS_OF, tick=False):
        ignore_command.run_check(argparse.Namespace(top=5, limit=0), ctx)
    lines = ctx.console.file.getvalue().splitlines()
    assert ("  reports@build.example: wrote in 61 threads; you answered 1, and it never wrote "
            "back to an answer") in lines
    assert "  status@ops.example: 3 of 4 messages carried bulk or automated headers" in lines
    assert "  ci@robots.example: 'bot' in the name (kernel test robot)" in lines
