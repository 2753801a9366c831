"""Sending through Gmail (``connectors.google.send``): the real google-api-python-client
against the fake Google; opt-in and scope checks, retries, and delivery end to end."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from connectors import google
from connectors.errors import AuthExpired, ConnectorError
from connectors.google.auth import GMAIL_SEND
from connectors.google.gmail_send import send

from fakes.google_fixtures import Waits, account, env
from fakes.google_server import FakeGoogle


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        yield g


def summary() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Me <me@example.com>"
    msg["To"] = "me@example.com"
    msg["Subject"] = "Keepwarm – your week: 3 people fading"
    msg.set_content("Plain part: Ana Müller, 41 days quiet.\n")
    msg.add_alternative("<p>HTML part: <b>Ana Müller</b>, 41 days quiet.</p>\n", subtype="html")
    return msg


def granted(fake: FakeGoogle) -> FakeGoogle:
    fake.granted.append(GMAIL_SEND)
    return fake


def received(fake: FakeGoogle, index: int = 0) -> EmailMessage:
    msg = email.message_from_bytes(fake.sent[index], policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_multipart_message_arrives_intact(fake: FakeGoogle, tmp_path: Path) -> None:
    granted(fake)
    answer = send(account(fake, send=True), env(fake, tmp_path), summary())
    assert answer["labelIds"] == ["SENT"] and answer["id"]
    assert [(m, p.split("?")[0]) for m, p in fake.log] == [
        ("POST", "/gmail/v1/users/me/messages/send")]
    got = received(fake)
    assert got["Subject"] == "Keepwarm – your week: 3 people fading"
    assert got.get_content_type() == "multipart/alternative"
    # MIME travels with CRLF line ends (canonical form); compare the text itself
    parts = [(p.get_content_type(), p.get_content().replace("\r\n", "\n"))
             for p in got.iter_parts()]
    want = [(p.get_content_type(), p.get_content()) for p in summary().iter_parts()]
    assert parts == want
    assert answer["id"] in fake.mail.messages  # it shows up in the mailbox, labelled SENT


def test_google_module_offers_send(fake: FakeGoogle, tmp_path: Path) -> None:
    granted(fake)
    google.send(account(fake, send=True), env(fake, tmp_path), summary())
    assert len(fake.sent) == 1


def test_refused_without_send_true(fake: FakeGoogle, tmp_path: Path) -> None:
    granted(fake)
    with pytest.raises(ConnectorError, match="not allowed to send") as info:
        send(account(fake), env(fake, tmp_path), summary())
    assert "send = true" in info.value.hint and "keepwarm auth work" in info.value.hint
    assert fake.log == [] and fake.token_calls == 0


def test_refused_when_the_stored_consent_lacks_gmail_send(fake: FakeGoogle,
                                                          tmp_path: Path) -> None:
    with pytest.raises(ConnectorError, match="not granted the gmail.send") as info:
        send(account(fake, send=True), env(fake, tmp_path), summary())
    assert not isinstance(info.value, AuthExpired)
    assert "keepwarm auth work" in info.value.hint
    assert fake.log == [] and fake.sent == []


def test_insufficient_scope_answer_is_explained(fake: FakeGoogle, tmp_path: Path) -> None:
    granted(fake)
    e = env(fake, tmp_path)  # the token file claims gmail.send ...
    fake.granted.remove(GMAIL_SEND)  # ... but Google's tokens do not carry it
    with pytest.raises(ConnectorError, match="lacks the gmail.send permission") as info:
        send(account(fake, send=True), e, summary(), sleep=Waits())
    assert "keepwarm auth work" in info.value.hint
    assert len(fake.log) == 1 and fake.sent == []  # a 403 for scopes is never retried


def test_throttled_then_sent_once(fake: FakeGoogle, tmp_path: Path) -> None:
    granted(fake)
    fake.fail("messages/send", 429, retry_after="7")
    waits = Waits()
    send(account(fake, send=True), env(fake, tmp_path), summary(), sleep=waits)
    assert waits == [7.0] and len(fake.sent) == 1 and len(fake.log) == 2


def test_rate_limit_403_is_retried(fake: FakeGoogle, tmp_path: Path) -> None:
    granted(fake)
    fake.fail("messages/send", 403, reason="userRateLimitExceeded", retry_after="2")
    waits = Waits()
    send(account(fake, send=True), env(fake, tmp_path), summary(), sleep=waits)
    assert waits == [2.0] and len(fake.sent) == 1


def test_revoked_sign_in_is_auth_expired(fake: FakeGoogle, tmp_path: Path) -> None:
    granted(fake)
    fake.revoked = True
    with pytest.raises(AuthExpired) as info:
        send(account(fake, send=True), env(fake, tmp_path), summary(), sleep=Waits())
    assert "keepwarm auth work" in info.value.hint
    assert fake.token_calls == 1 and fake.sent == []


def test_delivery_method_gmail_end_to_end(fake: FakeGoogle, tmp_path: Path) -> None:
    from daemon import config as config_mod
    from daemon.summary import delivery

    granted(fake)
    e = env(fake, tmp_path / "state")
    (tmp_path / "secrets.json").write_text("{}")
    text = ('[delivery]\nmethod = "gmail"\nto = "boss@example.org"\naccount = "work"\n'
            '[[accounts]]\nname = "work"\nkind = "google"\nclient_secrets = "secrets.json"\n'
            f'send = true\napi_endpoint = "{fake.url}"\ntoken_uri = "{fake.token_uri}"\n')
    path = tmp_path / "config.toml"
    path.write_text(text)
    config = config_mod.parse(text, path)
    message = summary()  # as composed by daemon.summary.message: delivery rewrites no header
    message.replace_header("To", "boss@example.org")
    message["Message-ID"] = "<keepwarm.2026-W10.0123456789ab@example.org>"
    msg_id = delivery.deliver(message, config, e, week="2026-W10")
    got = received(fake)
    assert got["To"] == "boss@example.org" and got["Message-ID"] == msg_id
    assert got["Subject"] == summary()["Subject"]
