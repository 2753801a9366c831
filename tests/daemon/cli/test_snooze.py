"""``keepwarm snooze`` / ``unsnooze``: durations, normalised addresses, the round trip through
the store, and the summary leaving a snoozed person out."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.cli import snooze as cmd
from daemon.cli.context import Context
from daemon.errors import UsageError
from daemon.store import snoozes

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("spec", "days"), [("2w", 14), ("30d", 30), ("3m", 90), ("1y", 365),
                                             (" 4 w ", 28), ("10D", 10)])
def test_durations(spec: str, days: int) -> None:
    assert cmd.duration_or_forever(spec) == timedelta(days=days)


@pytest.mark.parametrize("spec", ["", "w", "2", "2h", "-1w", "0d", "two weeks", "2w3d"])
def test_bad_durations_are_usage_errors(spec: str) -> None:
    with pytest.raises(UsageError):
        cmd.duration_or_forever(spec)


def test_forever_has_no_end() -> None:
    assert cmd.duration_or_forever("forever") is None


@given(st.integers(min_value=1, max_value=10_000), st.sampled_from("dwmy"))
def test_every_number_and_unit_parses(n: int, unit: str) -> None:
    days = {"d": 1, "w": 7, "m": 30, "y": 365}[unit]  # m: months, as everywhere
    assert cmd.duration_or_forever(f"{n}{unit}") == timedelta(days=n * days)


def test_round_trip_in_the_store(store) -> None:
    until = cmd.snooze(store, " Ada.Lovelace@GoogleMail.com ", timedelta(weeks=4), now=NOW)
    assert until == NOW + timedelta(weeks=4)
    assert snoozes.active(store, NOW) == {"adalovelace@gmail.com": until}
    cmd.snooze(store, "adalovelace@gmail.com", None, now=NOW)  # re-snooze replaces the end
    assert snoozes.active(store, NOW + timedelta(days=999)) == {"adalovelace@gmail.com": None}
    assert cmd.unsnooze(store, "ADA.LOVELACE@gmail.com") is True
    assert snoozes.active(store, NOW) == {}
    assert cmd.unsnooze(store, "adalovelace@gmail.com") is False


def test_expired_snooze_is_not_in_force(store) -> None:
    cmd.snooze(store, "bob@example.com", timedelta(days=2), now=NOW)
    assert snoozes.active(store, NOW + timedelta(days=1)) != {}
    assert snoozes.active(store, NOW + timedelta(days=3)) == {}


def test_not_an_address(store) -> None:
    with pytest.raises(UsageError):
        cmd.snooze(store, "not-an-address", None)


def _cli(tmp_path: Path) -> tuple[argparse.ArgumentParser, Context]:
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n', encoding="utf-8")
    parser = argparse.ArgumentParser()
    cmd.register(parser.add_subparsers())
    return parser, Context(config)


def test_cli_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser, ctx = _cli(tmp_path)
    try:
        for argv in (["snooze", "Carol@Example.com", "2w"], ["snooze"],
                     ["unsnooze", "carol@example.com"], ["snooze"]):
            args = parser.parse_args(argv)
            assert args.func(args, ctx) == 0
    finally:
        ctx.close()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Snoozed carol@example.com until ")
    assert out[1].startswith("carol@example.com\tuntil ")
    assert out[2] == "Unsnoozed carol@example.com."
    assert out[3] == "Nobody is snoozed."


def test_cli_default_duration_is_four_weeks(tmp_path: Path) -> None:
    parser, ctx = _cli(tmp_path)
    try:
        args = parser.parse_args(["snooze", "dan@example.com"])
        assert args.duration == cmd.DEFAULT == "4w"
        args.func(args, ctx)
        (until,) = snoozes.active(ctx.store(), datetime.now(UTC)).values()
        assert until is not None
        assert abs(until - datetime.now(UTC) - timedelta(weeks=4)) < timedelta(minutes=5)
    finally:
        ctx.close()
