"""The [ignore] rules: exact addresses, domains with subdomains, shell patterns, and the dry
run of ``keepwarm ignore check``."""

from __future__ import annotations

import argparse
import io

from rich.console import Console
from test_scoring_support import every, store_of, touch

from daemon.cli import ignore as ignore_command
from daemon.config import Config, IgnoreSettings
from daemon.model.ignore import Matcher, Rule, check, impact


def test_exact_addresses_case_insensitive() -> None:
    m = Matcher(IgnoreSettings(addresses=("Boss@Example.com",)))
    assert m.ignored("boss@example.com")
    assert not m.ignored("boss2@example.com")


def test_domains_include_subdomains_but_not_lookalikes() -> None:
    m = Matcher(IgnoreSettings(domains=("example.com", "@lists.org")))
    assert m.ignored("a@example.com") and m.ignored("a@mail.eu.example.com")
    assert m.ignored("x@lists.org")
    assert not m.ignored("a@notexample.com") and not m.ignored("example.com@other.net")


def test_patterns_are_shell_style_and_case_insensitive() -> None:
    m = Matcher(IgnoreSettings(patterns=("*-noreply@*", "notifications@*.github.com")))
    assert m.ignored("jira-noreply@corp.com")
    assert m.ignored("JIRA-NoReply@corp.com".lower())
    assert m.ignored("notifications@eu.github.com")
    assert not m.ignored("noreply@corp.com")
    assert not Matcher(IgnoreSettings())


def test_rule_impact_counts_contacts_touchpoints_and_top_names() -> None:
    rows = [("a@x.com", "Ann", 10), ("b@x.com", "", 3), ("c@y.com", "Cy", 1)]
    out = impact([Rule("domain", "x.com"), Rule("address", "zz@z.com")], rows, top=1)
    assert (out[0].contacts, out[0].touchpoints, out[0].top) == (2, 13, [("a@x.com", "Ann", 10)])
    assert (out[1].contacts, out[1].touchpoints) == (0, 0)


def test_check_over_a_store_and_the_command(store) -> None:  # type: ignore[no-untyped-def]
    store_of(store, every("ann@corp.com", 7, 5) + every("bob@corp.com", 7, 2)
             + [touch("jira-noreply@tools.io", 3, "inbound")])
    settings = IgnoreSettings(domains=("corp.com",), patterns=("*-noreply@*",))
    results = check(store, settings)
    assert [(r.rule.label, r.contacts, r.touchpoints) for r in results] == [
        ("domain corp.com", 2, 7), ("pattern *-noreply@*", 1, 1)]
    assert results[0].top[0][0] == "ann@corp.com"

    class Ctx:
        config = Config(ignore=settings)
        console = Console(file=io.StringIO(), width=120)

        def store(self):  # type: ignore[no-untyped-def]
            return store

    ctx = Ctx()
    assert ignore_command.run_check(argparse.Namespace(top=5), ctx) == 0
    text = ctx.console.file.getvalue()
    assert "domain corp.com" in text and "Ann (5)" in text


def test_the_command_registers_a_check_action() -> None:
    p = argparse.ArgumentParser()
    ignore_command.register(p.add_subparsers())
    args = p.parse_args(["ignore", "check", "--top", "3"])
    assert args.func is ignore_command.run_check and args.top == 3
