"""Delivery over a real SMTP server (aiosmtpd on 127.0.0.1): the weekly message arrives with
both parts; passwords come from env / a 0600 file; transient failures are retried, others not."""

from __future__ import annotations

import email
import email.policy
import smtplib
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from connectors.base import Env
from daemon import config as config_mod
from daemon.errors import DeliveryError
from daemon.summary import delivery, ledger

from fakes.smtp_server import Inbox, free_port

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, after the 08:00 Berlin slot


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"me" \
        and auth_data.password == b"s3cret pass"
    return AuthResult(success=ok)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def make_config(tmp_path: Path, port: int, **delivery_keys: str) -> config_mod.Config:
    keys = {"method": '"smtp"', "host": '"127.0.0.1"', "port": str(port), "security": '"none"',
            "to": '"Me <me@example.org>"', "sender": '"keepwarm@example.org"', **delivery_keys}
    text = ('[report]\ntimezone = "Europe/Berlin"\n[me]\naddresses = ["me@example.org"]\n'
            "[delivery]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()))
    return config_mod.parse(text, tmp_path / "config.toml")


def secret_file(tmp_path: Path, mode: int = 0o600) -> Path:
    path = tmp_path / "smtp-password"
    path.write_text("s3cret pass\n")
    path.chmod(mode)
    return path


def plain(subject: str = "hello") -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg.set_content("text")
    return msg


def test_the_weekly_message_arrives_with_both_parts(
        smtp: tuple[Inbox, int], tmp_path: Path, store: Any) -> None:
    inbox, port = smtp
    config = make_config(tmp_path, port, user='"me"',
                         password_file=f'"{secret_file(tmp_path)}"')
    env = Env(state_dir=tmp_path / "state")
    assert ledger.send_owed(store, config, env, NOW) == "2026-W48"  # the real report
    assert ledger.send_owed(store, config, env, NOW) is None  # the ledger holds it
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "keepwarm@example.org"
    assert envelope.rcpt_tos == ["me@example.org"]
    msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["To"] == "Me <me@example.org>"
    assert msg["Message-ID"] == "<keepwarm.2026-W48.33303673c299@example.org>"  # to + week
    assert "2026-W48" in msg["Subject"]
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    assert parts["text/plain"].strip() and "<html" in parts["text/html"].lower()


def test_password_from_an_environment_variable(
        smtp: tuple[Inbox, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, port = smtp
    config = make_config(tmp_path, port, user='"me"', password_env='"KW_SMTP"')
    env = Env(state_dir=tmp_path)
    with pytest.raises(DeliveryError, match="KW_SMTP is not set"):
        delivery.deliver(plain(), config, env)
    monkeypatch.setenv("KW_SMTP", "s3cret pass")
    delivery.deliver(plain(), config, env)
    assert len(inbox.envelopes) == 1


def test_credential_and_permanent_errors_are_not_transient() -> None:
    # (a real aiosmtpd answers a failed AUTH LOGIN so slowly that smtplib times out first)
    assert not delivery._transient(smtplib.SMTPAuthenticationError(535, b"bad credentials"))
    assert not delivery._transient(smtplib.SMTPDataError(554, b"rejected"))
    assert delivery._transient(smtplib.SMTPDataError(451, b"later"))
    assert delivery._transient(ConnectionRefusedError())


def test_a_password_file_readable_by_others_is_refused(smtp: tuple[Inbox, int],
                                                       tmp_path: Path) -> None:
    inbox, port = smtp
    path = secret_file(tmp_path, 0o644)
    config = make_config(tmp_path, port, user='"me"', password_file=f'"{path}"')
    with pytest.raises(DeliveryError, match="readable by others") as info:
        delivery.deliver(plain(), config, Env(state_dir=tmp_path))
    assert info.value.hint == f"chmod 600 {path}"
    assert inbox.envelopes == [] and stat.S_IMODE(path.stat().st_mode) == 0o644


def test_no_password_in_clear_text_to_a_remote_host(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KW_SMTP", "s3cret pass")
    config = make_config(tmp_path, 25, host='"mail.example.org"', user='"me"',
                         password_env='"KW_SMTP"')
    with pytest.raises(DeliveryError, match="unencrypted"):
        delivery.deliver(plain(), config, Env(state_dir=tmp_path))


def test_transient_failures_are_retried_with_backoff(smtp: tuple[Inbox, int],
                                                     tmp_path: Path) -> None:
    inbox, port = smtp
    inbox.replies = ["451 Try again later", "421 Busy"]
    config = make_config(tmp_path, port)
    sleeps: list[float] = []
    delivery.deliver(plain(), config, Env(state_dir=tmp_path), sleep=sleeps.append)
    assert len(inbox.envelopes) == 1 and len(sleeps) == 2 and sleeps[1] > sleeps[0] > 0


def test_permanent_failures_are_not_retried(smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    inbox.replies = ["554 Rejected"]
    sleeps: list[float] = []
    with pytest.raises(DeliveryError, match="554") as info:
        delivery.deliver(plain(), make_config(tmp_path, port), Env(state_dir=tmp_path),
                         sleep=sleeps.append)
    assert sleeps == [] and not info.value.transient


def test_an_unreachable_server_gives_up_after_the_attempts(tmp_path: Path) -> None:
    sleeps: list[float] = []
    with pytest.raises(DeliveryError) as info:
        delivery.deliver(plain(), make_config(tmp_path, free_port()), Env(state_dir=tmp_path),
                         sleep=sleeps.append, attempts=3)
    assert info.value.transient and len(sleeps) == 2
    assert "retries every 10 minutes" in info.value.hint
