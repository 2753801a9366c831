"""The actions on a summary entry (issue 16): one mailto per command to the user's own address,
and no "ignore this domain" where that would hide far too many (webmail, your own domain)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote

from daemon.model.entries import Entry
from daemon.summary.actions import with_actions
from daemon.sync.commands import parse

KEY, ME, WEEK = b"s" * 32, "alex+home@larkspur.example", "2026-W49"


def _entry(key: str) -> Entry:
    return Entry(key=key, name="Nora Petrova", addresses=(key,), group="losing_touch", risk=0.5,
                 score=1.0, strength=1.0, rhythm_days=7.0, silence_days=30.0,
                 last_at=datetime(2026, 11, 1, tzinfo=UTC), last_direction="inbound",
                 last_channel="email", shape="mutual_fade", reason="r")


def test_each_action_mails_yourself_with_a_subject_that_says_what_it_does() -> None:
    entry = with_actions(_entry("nora@wingtip.example"), KEY, ME, WEEK)
    assert [a.command for a in entry.actions] == [
        "snooze4w", "snooze3m", "ignoreperson", "ignoredomain"]
    for a in entry.actions:
        assert a.address.startswith("alex+kw.") and a.address.endswith("@larkspur.example")
        assert parse(a.address, {"alex@larkspur.example"}) is not None
    assert unquote(entry.actions[0].url) == (
        f"mailto:{entry.actions[0].address}?subject=Keepwarm: Snooze Nora Petrova for 4 weeks")
    assert unquote(entry.actions[3].url).endswith("Ignore everyone at wingtip.example")


def test_no_domain_action_for_webmail_or_your_own_domain() -> None:
    for key in ("nora@gmail.com", "nora@larkspur.example"):
        commands = [a.command for a in with_actions(_entry(key), KEY, ME, WEEK).actions]
        assert commands == ["snooze4w", "snooze3m", "ignoreperson"]


def test_no_action_whose_address_would_pass_the_64_character_local_part() -> None:
    """RFC 5321 limits a local part to 64 octets and submission servers refuse longer ones, so
    an action that would not fit is left out rather than offered broken."""
    long_me = "firstname.middlename.lastname.xy@larkspur.example"  # 32 before the @
    entry = with_actions(_entry("nora@wingtip.example"), KEY, long_me, WEEK)
    assert [a.command for a in entry.actions] == ["snooze4w", "snooze3m"]
    assert all(len(a.address.rpartition("@")[0]) <= 64 for a in entry.actions)
