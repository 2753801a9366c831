"""The [ignore] rules: exact addresses, domains with subdomains, shell patterns, and the dry
run of ``keepwarm ignore check``."""

from __future__ import annotations

import argparse
import io
import json

from rich.console import Console

from daemon.cli import ignore as ignore_command
from daemon.cli import main
from daemon.config import Config, IgnoreSettings
from daemon.model.ignore import Matcher, Rule, check, impact

from helpers.archive import ME, mbox_config, write_mbox
from helpers.model import every, store_of, touch


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


def test_ignored_gmail_address_is_matched_as_normalised(tmp_path, capsys):
    """Contacts are stored normalised (Gmail ignores dots; googlemail.com is gmail.com), so an
    [ignore] address written the way people write it must be normalised the same way."""
    messages = []
    for i in range(8):
        day = f"{1 + i * 3:d} Jan 2024 10:00:00 +0000"
        messages.append(("John Doe <John.Doe@googlemail.com>", ME, f"Mon, {day}", f"in{i}@x"))
        messages.append((ME, "John Doe <john.doe@gmail.com>", f"Tue, {day}", f"out{i}@x"))
    mbox = write_mbox(tmp_path / "m.mbox", messages)
    cfg = mbox_config(tmp_path, mbox, '\n[ignore]\naddresses = ["John.Doe@gmail.com"]\n')
    assert main(["--config", str(cfg), "sync"]) == 0
    capsys.readouterr()
    assert main(["--config", str(cfg), "report", "--as-of", "2024-06-01", "--format", "json",
                 "--all"]) == 0
    data = json.loads(capsys.readouterr().out)
    people = [e for e in data["everyone"] if e["key"] == "johndoe@gmail.com"]
    assert people and people[0]["excluded_because"] == "ignored"
    assert main(["--config", str(cfg), "ignore", "check"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "john" in line.lower())
    assert "│        1 │" in row  # one contact hidden


def test_ignored_googlemail_domain_matches_stored_gmail_contacts() -> None:
    from daemon.config import IgnoreSettings
    from daemon.model.ignore import Matcher

    matcher = Matcher(IgnoreSettings(domains=("GoogleMail.com",)))
    assert matcher.ignored("someone@gmail.com")
