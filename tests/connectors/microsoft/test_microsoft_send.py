"""Sending through Microsoft Graph (``connectors.microsoft.send``): real msal and httpx
against the TLS fake; opt-in and consent checks, throttling, and delivery end to end."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from connectors import microsoft
from connectors.errors import AuthExpired, ConnectorError, SourceUnavailable
from connectors.microsoft.graph_send import send

from fakes.graph_fixtures import Waits, account, env, running_fake, sign_in
from fakes.graph_server import FakeGraph


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    with running_fake(tmp_path, monkeypatch) as g:
        yield g


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def summary() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Me <me@contoso.example>"
    msg["To"] = "me@contoso.example"
    msg["Subject"] = "Keepwarm – your week: 3 people fading"
    msg.set_content("Plain part: Ana Müller, 41 days quiet.\n")
    msg.add_alternative("<p>HTML part: <b>Ana Müller</b>, 41 days quiet.</p>\n", subtype="html")
    return msg


def received(fake: FakeGraph, index: int = 0) -> EmailMessage:
    raw = fake.sent[index]
    assert isinstance(raw, bytes)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def sends(fake: FakeGraph) -> list[str]:
    return [p for m, p in fake.requests if m == "POST" and p.startswith("/v1.0")]


def test_multipart_message_arrives_intact(fake: FakeGraph, state: Path) -> None:
    sign_in(fake, state, send=True)
    posts = len(fake.identity.token_posts)
    microsoft.send(account(fake, send=True), env(state), summary())
    assert sends(fake) == ["/v1.0/me/sendMail"]
    assert len(fake.identity.token_posts) == posts  # the cached access token was enough
    got = received(fake)
    assert got["Subject"] == "Keepwarm – your week: 3 people fading"
    assert got.get_content_type() == "multipart/alternative"
    # MIME travels with CRLF line ends (canonical form); compare the text itself
    parts = [(p.get_content_type(), p.get_content().replace("\r\n", "\n"))
             for p in got.iter_parts()]
    assert parts == [(p.get_content_type(), p.get_content()) for p in summary().iter_parts()]


def test_refused_without_send_true(fake: FakeGraph, state: Path) -> None:
    sign_in(fake, state, send=True)
    with pytest.raises(ConnectorError, match="not allowed to send") as info:
        send(account(fake), env(state), summary())
    assert "send = true" in info.value.hint and "keepwarm auth work" in info.value.hint
    assert sends(fake) == []


def test_refused_when_signed_in_before_send_was_turned_on(fake: FakeGraph,
                                                          state: Path) -> None:
    sign_in(fake, state)  # consent without Mail.Send
    posts = len(fake.identity.token_posts)
    with pytest.raises(ConnectorError, match="not granted the Mail.Send") as info:
        send(account(fake, send=True), env(state), summary())
    assert "keepwarm auth work" in info.value.hint
    assert sends(fake) == [] and len(fake.identity.token_posts) == posts


def test_refused_when_the_consent_left_out_mail_send(fake: FakeGraph, state: Path) -> None:
    fake.identity.withhold = {"Mail.Send"}  # e.g. an admin policy drops it
    sign_in(fake, state, send=True)
    with pytest.raises(ConnectorError, match="not granted the Mail.Send"):
        send(account(fake, send=True), env(state), summary())
    assert sends(fake) == []


def test_missing_consent_found_only_on_refresh_is_explained(fake: FakeGraph,
                                                            state: Path) -> None:
    sign_in(fake, state)
    token_file = state / "tokens" / "work.msal.json"
    cache = json.loads(token_file.read_text())  # as if written by a tool without targets
    for section in ("AccessToken", "RefreshToken"):
        for entry in cache[section].values():
            entry["target"] = ""
    token_file.write_text(json.dumps(cache))
    with pytest.raises(AuthExpired, match="consent_required|invalid_grant") as info:
        send(account(fake, send=True), env(state), summary(), sleep=Waits())
    assert "send = true" in info.value.hint and sends(fake) == []


def test_access_denied_is_explained_and_not_retried(fake: FakeGraph, state: Path) -> None:
    sign_in(fake, state, send=True)
    fake.inject("sendMail", 403, code="ErrorAccessDenied")
    with pytest.raises(ConnectorError, match="Mail.Send") as info:
        send(account(fake, send=True), env(state), summary(), sleep=Waits())
    assert "keepwarm auth work" in info.value.hint
    assert len(sends(fake)) == 1 and fake.sent == []


def test_throttled_then_sent_once(fake: FakeGraph, state: Path) -> None:
    sign_in(fake, state, send=True)
    fake.inject("sendMail", 429, retry_after="2.5")
    waits = Waits()
    send(account(fake, send=True), env(state), summary(), sleep=waits)
    assert waits == [2.5] and len(sends(fake)) == 2 and len(fake.sent) == 1


def test_server_error_is_not_retried(fake: FakeGraph, state: Path) -> None:
    sign_in(fake, state, send=True)
    fake.inject("sendMail", 500, code="InternalServerError")
    with pytest.raises(SourceUnavailable, match="may or may not"):
        send(account(fake, send=True), env(state), summary(), sleep=Waits())
    assert len(sends(fake)) == 1  # a retry could deliver the summary twice


def test_revoked_access_token_refreshes_once_then_sends(fake: FakeGraph, state: Path) -> None:
    sign_in(fake, state, send=True)
    fake.identity.access.clear()  # Graph refuses the cached access token (401)
    send(account(fake, send=True), env(state), summary(), sleep=Waits())
    assert len(sends(fake)) == 2 and len(fake.sent) == 1


def test_revoked_sign_in_is_auth_expired(fake: FakeGraph, state: Path) -> None:
    sign_in(fake, state, send=True)
    fake.identity.access.clear()
    fake.identity.revoked = True
    with pytest.raises(AuthExpired):
        send(account(fake, send=True), env(state), summary(), sleep=Waits())
    assert fake.sent == []


def test_delivery_method_graph_end_to_end(fake: FakeGraph, state: Path, tmp_path: Path) -> None:
    from daemon import config as config_mod
    from daemon.summary import delivery

    sign_in(fake, state, send=True)
    text = ('[delivery]\nmethod = "graph"\nto = "boss@example.org"\naccount = "work"\n'
            '[[accounts]]\nname = "work"\nkind = "microsoft"\n'
            f'client_id = "{fake.identity.client_id}"\nauthority = "{fake.authority}"\n'
            f'graph_endpoint = "{fake.base}"\nsend = true\n')
    path = tmp_path / "config.toml"
    path.write_text(text)
    config = config_mod.parse(text, path)
    message = summary()  # as composed by daemon.summary.message: delivery rewrites no header
    message.replace_header("To", "boss@example.org")
    message["Message-ID"] = "<keepwarm.2026-W10.0123456789ab@example.org>"
    msg_id = delivery.deliver(message, config, env(state), week="2026-W10")
    got = received(fake)
    assert got["To"] == "boss@example.org" and got["Message-ID"] == msg_id
    assert got["Subject"] == summary()["Subject"]
