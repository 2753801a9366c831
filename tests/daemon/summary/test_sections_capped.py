"""Every section short and ranked (issue 17): owed replies one line per person with the number of
waiting threads, ranked by the relationship's strength and the wait, capped by
``[report] owed_limit``; every section capped with "and N more: keepwarm report --all"; JSON and
``--all`` still carry everything."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from daemon.cli import report as cmd
from daemon.cli.context import Context
from daemon.config import Config
from daemon.model.entries import Entry, Scored
from daemon.store import Store
from daemon.store.models import Account
from daemon.summary.gather import build_summary
from daemon.summary.render import render_html, render_json, render_text
from daemon.summary.sections import OwedReply, owed_by_person
from daemon.sync.meaning import Counterpart, Meaning
from daemon.sync.writer import write_page

AS_OF = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
MORE = "more: keepwarm report --all"


def mail(n: int, days: float, address: str, thread: str, direction: str = "inbound",
         name: str = "") -> Meaning:
    return Meaning(f"mid:{n}", None, "email", AS_OF - timedelta(days=days), thread, False, False,
                   (Counterpart(address, name, direction, True),), 1)


def person(key: str, strength: float) -> Entry:
    return Entry(key=key, name=key, addresses=(key,), group="steady", risk=0.1, score=0.0,
                 strength=strength, rhythm_days=7.0, silence_days=4.0, last_at=None,
                 last_direction=None, last_channel=None, shape=None, reason="")


def fill(store: Store, meanings: list[Meaning], accounts: int = 1) -> Store:
    with store.transaction() as s:
        for i in range(accounts):
            s.add(Account(name=f"acc{i:02d}", kind="mbox", status="ok",
                          last_success_at=AS_OF - timedelta(hours=1)))
        s.flush()
        write_page(s, 1, [(m.identity, m) for m in meanings], [])
    return store


def config(**report: int) -> Config:
    return Config.model_validate({"me": {"addresses": ["me@acme.example"]}, "report": report})


def section(text: str, title: str) -> list[str]:
    """The lines of one text section, from its title to the next blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].strip())
    return lines[start + 1:end]


def test_one_person_owed_on_three_threads_is_one_line(store) -> None:
    marcos = "marcos@acme.example"
    fill(store, [mail(1, 9, marcos, "a", name="Marcos Alano"),
                 mail(2, 5, marcos, "b", name="Marcos Alano"),
                 mail(3, 4, marcos, "c", name="Marcos Alano")])
    summary = build_summary(store, config(), AS_OF, scored=Scored(AS_OF, (), (), ()))
    owed = section(render_text(summary), "REPLIES YOU MAY OWE")
    assert owed == ["  - Marcos Alano <marcos@acme.example> (3 threads): wrote to you "
                    "Sat 14 Nov, waiting 9 days."]
    assert "(3 threads)" in render_html(summary)
    data = json.loads(render_json(summary))
    assert len(data["owed_replies"]) == 3  # every thread still in JSON
    assert [(p["address"], p["threads"]) for p in data["owed_people"]] == [
        (marcos, ["a", "b", "c"])]
    assert data["totals"]["owed"] == 3 and data["totals"]["owed_people"] == 1


def test_strength_and_wait_rank_owed_people(store) -> None:
    fill(store, [mail(1, 5, "stranger@x.example", "s"), mail(2, 4, "close@x.example", "c"),
                 mail(3, 25, "old@x.example", "o"), mail(4, 6, "weak@x.example", "w")])
    scored = Scored(AS_OF, (), (), (person("close@x.example", 40.0),
                                    person("weak@x.example", 0.2)))
    summary = build_summary(store, config(), AS_OF, scored=scored)
    # a close colleague waiting 4 days outranks strangers waiting 5 or 6; three weeks of
    # waiting outranks everyone
    assert [p.address for p in summary.owed_people] == [
        "old@x.example", "close@x.example", "weak@x.example", "stranger@x.example"]


def test_owed_is_capped_with_a_pointer_to_all(store) -> None:
    fill(store, [mail(i, 4 + i, f"p{i}@x.example", f"t{i}") for i in range(8)])
    scored = Scored(AS_OF, (), (), ())
    text = render_text(build_summary(store, config(), AS_OF, scored=scored))
    owed = section(text, "REPLIES YOU MAY OWE")
    assert len(owed) == 6 and owed[-1] == f"  and 3 {MORE}"
    assert owed[0].startswith("  - p7@x.example")  # the longest wait first
    two = section(render_text(build_summary(store, config(owed_limit=2), AS_OF, scored=scored)),
                  "REPLIES YOU MAY OWE")
    assert len(two) == 3 and two[-1] == f"  and 6 {MORE}"
    full = build_summary(store, config(), AS_OF, scored=scored, full=True)
    everyone = section(render_text(full), "REPLIES YOU MAY OWE")
    assert len(everyone) == 8 and MORE not in render_text(full)
    html = render_html(build_summary(store, config(), AS_OF, scored=scored))
    assert "and 3 more: <code" in html and html.count("p7@x.example") == 1


def test_new_relationships_and_health_are_capped(store) -> None:
    meanings = []
    for i in range(7):
        meanings += [mail(100 + i, 3, f"n{i}@x.example", f"n{i}"),
                     mail(200 + i, 2, f"n{i}@x.example", f"n{i}", "outbound")]
    fill(store, meanings, accounts=7)
    with store.transaction() as s:
        s.add(Account(name="zz-broken", kind="mbox", status="error", last_error="boom"))
    summary = build_summary(store, config(), AS_OF, scored=Scored(AS_OF, (), (), ()))
    text = render_text(summary)
    new = section(text, "NEW RELATIONSHIPS THIS WEEK")
    assert len(new) == 6 and new[-1] == f"  and 2 {MORE}"
    health = section(text, "SYNC HEALTH")
    assert len(health) == 6 and health[-1] == f"  and 3 {MORE}"
    assert health[0].startswith("  - zz-broken")  # past the cap, problems come first
    assert len(json.loads(render_json(summary))["new_relationships"]) == 7


def test_losing_touch_says_how_many_more(store) -> None:
    lose = tuple(replace(person(f"l{i}@x.example", 1.0), group="losing_touch")
                 for i in range(4))
    summary = build_summary(store, config(top=3), AS_OF, scored=Scored(AS_OF, lose, (), lose))
    assert f"  and 1 {MORE}" in render_text(summary)
    full = build_summary(store, config(top=3), AS_OF, scored=Scored(AS_OF, lose, (), lose),
                         full=True)
    assert len(full.losing_touch) == 4 and MORE not in render_text(full)


def test_report_all_lists_everyone_in_text(tmp_path: Path) -> None:
    db = tmp_path / "kw.db"
    (tmp_path / "config.toml").write_text(
        f'[store]\nurl = "sqlite:///{db}"\n[me]\naddresses = ["me@acme.example"]\n'
        '[report]\nowed_limit = 1\n', encoding="utf-8")
    fill(Store(f"sqlite:///{db}"), [mail(i, 4 + i, f"p{i}@x.example", f"t{i}")
                                    for i in range(3)]).dispose()
    parser = argparse.ArgumentParser()
    cmd.register(parser.add_subparsers())
    out = {}
    for flag in ([], ["--all"]):
        ctx = Context(tmp_path / "config.toml")
        args = parser.parse_args(["report", "--as-of", "2026-11-23T08:00+00:00",
                                  "--out", str(tmp_path / "s.txt"), *flag])
        try:
            assert args.func(args, ctx) == 0
        finally:
            ctx.close()
        out[bool(flag)] = section((tmp_path / "s.txt").read_text(), "REPLIES YOU MAY OWE")
    assert len(out[False]) == 2 and out[False][-1] == f"  and 2 {MORE}"
    assert len(out[True]) == 3


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 6), st.floats(3, 29)), max_size=40),
       st.dictionaries(st.integers(0, 6).map(lambda i: f"p{i}@x"), st.floats(0, 100)))
@example(threads=[(0, 28.999999999999996), (0, 29.0)], strength={})  # one microsecond apart
def test_grouping_keeps_every_thread_once(threads: list[tuple[int, float]],
                                          strength: dict[str, float]) -> None:
    owed = [OwedReply(f"p{who}@x", f"P{who}", f"t{n}", AS_OF - timedelta(days=wait), wait, 1, 1)
            for n, (who, wait) in enumerate(threads)]
    people = owed_by_person(owed, strength)
    assert sorted(t.thread_key for p in people for t in p.threads) == sorted(
        o.thread_key for o in owed)
    assert len({p.address for p in people}) == len(people)
    assert [p.priority for p in people] == sorted((p.priority for p in people), reverse=True)
    for p in people:
        assert p.waiting_days == max(t.waiting_days for t in p.threads)

