"""File delivery (atomic .eml files), delivery through a connector's optional ``send``, and
``keepwarm send-summary`` with time frozen by time-machine."""

from __future__ import annotations

import email
import email.policy
import stat
import sys
import types
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

import daemon.cli
from connectors.base import Env
from daemon import config as config_mod
from daemon.errors import ConfigError, DeliveryError
from daemon.summary import delivery

BERLIN = ZoneInfo("Europe/Berlin")


def parse(text: str, tmp_path: Path) -> config_mod.Config:
    path = tmp_path / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return config_mod.parse(text, path)


def plain() -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = "hello"
    msg["To"] = "me@x.org"
    msg["Message-ID"] = "<keepwarm.2026-W48.test@x.org>"
    msg.set_content("text")
    return msg


def file_config(tmp_path: Path) -> str:
    return ('[report]\ntimezone = "Europe/Berlin"\n'
            f'[delivery]\nmethod = "file"\nfolder = "{tmp_path / "out"}"\nto = "me@x.org"\n')


def test_file_delivery_writes_one_private_eml_per_week(tmp_path: Path) -> None:
    config = parse(file_config(tmp_path), tmp_path)
    env = Env(state_dir=tmp_path)
    delivery.deliver(plain(), config, env, week="2026-W48")
    delivery.deliver(plain(), config, env, week="2026-W48")  # a resend replaces it
    delivery.deliver(plain(), config, env, week=None)  # a manual extra copy
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files[0].startswith("keepwarm-2026-W48.eml") and len(files) == 2
    assert files[1].startswith("keepwarm-manual-")  # no temp files left behind
    path = tmp_path / "out" / "keepwarm-2026-W48.eml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "me@x.org" and msg["Subject"] == "hello"


def test_delivery_rewrites_no_header(tmp_path: Path) -> None:
    """From, To and Message-ID are the message module's: delivery sends them as they are."""
    config = parse(file_config(tmp_path).replace('to = "me@x.org"', 'to = "other@x.org"'),
                   tmp_path)
    message = plain()
    before = list(message.items())
    mid = delivery.deliver(message, config, Env(state_dir=tmp_path), week="2026-W48")
    assert mid == "<keepwarm.2026-W48.test@x.org>" and list(message.items()) == before
    sent = (tmp_path / "out" / "keepwarm-2026-W48.eml").read_bytes()
    got = email.message_from_bytes(sent, policy=email.policy.default)
    assert got["To"] == "me@x.org" and "From" not in got and "Date" not in got


def test_missing_settings_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="delivery: .*method 'smtp' needs to and host"):
        parse('[delivery]\nmethod = "smtp"\n', tmp_path)  # caught at load, not on Monday
    config = parse("", tmp_path)  # built in code, the check at delivery still names them
    config = config.model_copy(update={"delivery": config.delivery.model_construct(
        method="smtp")})
    with pytest.raises(DeliveryError, match="delivery.to is required.*delivery.host"):
        delivery.deliver(plain(), config, Env(state_dir=tmp_path))


def google_config(tmp_path: Path, send: bool = True) -> config_mod.Config:
    (tmp_path / "secrets.json").write_text("{}")
    return parse('[delivery]\nmethod = "gmail"\nto = "me@x.org"\naccount = "work"\n'
                 '[[accounts]]\nname = "work"\nkind = "google"\nclient_secrets = "secrets.json"\n'
                 f"send = {'true' if send else 'false'}\n", tmp_path)


def test_gmail_delivery_calls_the_connectors_send(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Env, EmailMessage]] = []
    fake = types.ModuleType("connectors.google")
    fake.send = lambda account, env, message: calls.append((account, env, message))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "connectors.google", fake)
    config = google_config(tmp_path)
    env = Env(state_dir=tmp_path)
    mid = delivery.deliver(plain(), config, env, week="2026-W48")
    [(account, got_env, message)] = calls
    assert account.name == "work" and got_env is env and message["Message-ID"] == mid


def test_gmail_delivery_without_connector_support_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "connectors.google", types.ModuleType("connectors.google"))
    with pytest.raises(DeliveryError, match="cannot send through google accounts") as info:
        delivery.deliver(plain(), google_config(tmp_path), Env(state_dir=tmp_path))
    assert "smtp" in info.value.hint


def test_a_connector_send_is_called_once_as_it_retries_by_itself(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def send(account: Any, env: Env, message: EmailMessage) -> None:
        calls.append(account.name)
        raise ConnectionResetError("reset")  # transient for smtp; the connector had its tries

    fake = types.ModuleType("connectors.google")
    fake.send = send  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "connectors.google", fake)
    waits: list[float] = []
    with pytest.raises(DeliveryError, match="ConnectionResetError"):
        delivery.deliver(plain(), google_config(tmp_path), Env(state_dir=tmp_path),
                         sleep=waits.append)
    assert calls == ["work"] and waits == []


def test_gmail_delivery_needs_the_send_opt_in(tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match="needs send = true"):
        delivery.deliver(plain(), google_config(tmp_path, send=False), Env(state_dir=tmp_path))


def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    return daemon.cli.main(["--config", str(tmp_path / "config.toml"), *argv])


def test_send_summary_by_hand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    parse(file_config(tmp_path), tmp_path)
    out = tmp_path / "out"
    with time_machine.travel(datetime(2026, 11, 23, 7, 30, tzinfo=BERLIN), tick=False):
        assert cli(tmp_path, monkeypatch, "send-summary", "--dry-run") == 0
        shown = capsys.readouterr().out
        assert "would send nothing now (due Mon 2026-11-23 08:00 CET)" in shown
        assert "written as .eml files" in shown and "text/plain, text/html" in shown
        assert cli(tmp_path, monkeypatch, "send-summary") == 0
        assert "Not owed yet" in capsys.readouterr().out and not out.exists()
    with time_machine.travel(datetime(2026, 11, 23, 8, 1, tzinfo=BERLIN), tick=False):
        assert cli(tmp_path, monkeypatch, "send-summary", "--dry-run") == 0
        assert capsys.readouterr().out.startswith("would send now")
        assert not out.exists()
        assert cli(tmp_path, monkeypatch, "send-summary") == 0
        assert "Sent the summary of 2026-W48" in capsys.readouterr().out
        assert cli(tmp_path, monkeypatch, "send-summary") == 0
        assert "already sent" in capsys.readouterr().out
        assert cli(tmp_path, monkeypatch, "send-summary", "--now") == 0
    names = sorted(p.name for p in out.iterdir())
    assert names[0] == "keepwarm-2026-W48.eml" and names[1].startswith("keepwarm-manual-")
    assert len(names) == 2
