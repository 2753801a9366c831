"""``keepwarm report``: --as-of parsing, formats, --out written atomically, with the real model."""

from __future__ import annotations

import argparse
import email
import json
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from daemon.cli import report as cmd
from daemon.cli.context import Context
from daemon.errors import UsageError
from daemon.store import Store
from daemon.store.models import Account
from daemon.sync.meaning import Counterpart, Meaning
from daemon.sync.writer import write_page


def test_as_of_forms() -> None:
    assert cmd.parse_as_of("2026-11-23", "Europe/Berlin") == datetime(
        2026, 11, 22, 23, 0, tzinfo=UTC)
    assert cmd.parse_as_of("2026-11-23T08:00", "UTC") == datetime(2026, 11, 23, 8, tzinfo=UTC)
    assert cmd.parse_as_of("2026-11-23T08:00+01:00") == datetime(2026, 11, 23, 7, tzinfo=UTC)
    assert abs(cmd.parse_as_of(None) - datetime.now(UTC)) < timedelta(minutes=1)
    with pytest.raises(UsageError):
        cmd.parse_as_of("last tuesday")


def _setup(tmp_path: Path) -> tuple[argparse.ArgumentParser, Context]:
    db = tmp_path / "kw.db"
    (tmp_path / "config.toml").write_text(
        f'[store]\nurl = "sqlite:///{db}"\n[me]\naddresses = ["me@acme.example"]\n',
        encoding="utf-8")
    store = Store(f"sqlite:///{db}")
    end = datetime(2026, 11, 23, 8, tzinfo=UTC)
    meanings = []
    for week in range(60):  # a weekly two-way rhythm that stopped ten weeks ago
        at = end - timedelta(weeks=10 + week)
        for direction, shift in (("inbound", 0), ("outbound", 1)):
            meanings.append(Meaning(f"mid:{week}:{direction}", None, "email",
                                    at + timedelta(hours=shift), f"t{week}", False, False,
                                    (Counterpart("kim@acme.example", "Kim", direction, True),), 1))
    with store.transaction() as s:
        s.add(Account(name="work", kind="mbox", status="ok", last_success_at=end))
        s.flush()
        write_page(s, 1, [(m.identity, m) for m in meanings], [])
    store.dispose()
    parser = argparse.ArgumentParser()
    cmd.register(parser.add_subparsers())
    return parser, Context(tmp_path / "config.toml")


@pytest.mark.parametrize("fmt", ["text", "html", "json", "eml"])
def test_report_formats_to_file(tmp_path: Path, fmt: str) -> None:
    parser, ctx = _setup(tmp_path)
    out = tmp_path / "out" / f"summary.{fmt}"
    args = parser.parse_args(["report", "--as-of", "2026-11-23", "--format", fmt,
                              "--out", str(out), "--all"])
    try:
        assert args.func(args, ctx) == 0
    finally:
        ctx.close()
    assert out.stat().st_mode & 0o777 == 0o600
    body = out.read_text(encoding="utf-8")
    if fmt == "json":
        assert json.loads(body)["everyone"][0]["key"] == "kim@acme.example"
    elif fmt == "eml":
        msg = email.message_from_string(body, policy=policy.default)
        assert msg.get_content_type() == "multipart/alternative"
    else:
        assert "Kim" in body and "2026-W48" in body


def test_report_prints_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser, ctx = _setup(tmp_path)
    args = parser.parse_args(["report", "--as-of", "2026-11-23"])
    try:
        assert args.func(args, ctx) == 0
    finally:
        ctx.close()
    out = capsys.readouterr().out
    assert out.startswith("Keepwarm weekly summary, week 2026-W48")
    assert "PEOPLE YOU ARE LOSING TOUCH WITH" in out
