"""Organisation-wide Microsoft sign-in (``auth = "organisation"``): the real msal confidential
client (client secret or certificate) and the real connectors against the fake identity
endpoint and Graph serving several users' mailboxes behind an application access policy."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import ValidationError

from connectors import microsoft
from connectors.errors import AuthExpired, ConnectorError
from connectors.microsoft import app_auth
from connectors.microsoft.app_auth import mailbox_path
from connectors.microsoft.auth import graph_root
from connectors.microsoft.refusals import AppRegistrationRefused
from connectors.settings import MicrosoftAccount
from daemon.config import Config, MeSettings
from daemon.service import doctor, scopes
from daemon.sync.engine import Engine

from fakes.graph_fixtures import NOW, Waits, env, running_fake
from fakes.graph_mailbox import box
from fakes.graph_server import FakeGraph

ALICE, BOB = "alice@contoso.example", "bob@contoso.example"
SECRET_ENV = "KW_TEST_GRAPH_SECRET"


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    with running_fake(tmp_path, monkeypatch) as g:
        g.identity.public_client = False  # an app registration for a daemon: no public flows
        for who in (ALICE, BOB):
            g.add_user(who)
        monkeypatch.setenv(SECRET_ENV, g.identity.client_secret)
        yield g


def org(fake: FakeGraph, name: str, address: str, **kw: Any) -> MicrosoftAccount:
    kw.setdefault("client_secret_env", SECRET_ENV)
    return MicrosoftAccount(kind="microsoft", name=name, client_id=fake.identity.client_id,
                            tenant=fake.identity.tenant, authority=fake.authority,
                            graph_endpoint=fake.base, auth="organisation", address=address,
                            **kw)


def fill(fake: FakeGraph, who: str, mails: int, meetings: int = 0) -> None:
    mailbox = fake.users[who]
    for i in range(mails):
        mailbox.add_message("inbox", f"p{i}@example.org", (who,), NOW - dt.timedelta(days=i + 1))
    for i in range(meetings):
        mailbox.add_event(NOW - dt.timedelta(days=i + 2), attendees=[
            {**box(who), "type": "required", "status": {"response": "none"}},
            {**box(f"m{i}@example.org"), "type": "required",
             "status": {"response": "accepted"}}])


def engine(store: Any, state: Path, *accounts: MicrosoftAccount) -> Engine:
    config = Config(me=MeSettings(addresses=(ALICE, BOB)), accounts=accounts)
    return Engine(store, config, env(state),
                  build=lambda acc, e: microsoft.build(acc, e, sleep=Waits()))  # type: ignore[arg-type]


def app_posts(fake: FakeGraph) -> list[dict[str, str]]:
    return [f for f in fake.identity.token_posts if f.get("grant_type") == "client_credentials"]


def graph_paths(fake: FakeGraph, part: str) -> list[str]:
    return [p for _, p in fake.requests if p.startswith("/v1.0") and part in p]


def test_two_members_mailboxes_sync_through_the_engine(fake: FakeGraph, store: Any,
                                                       tmp_path: Path) -> None:
    fill(fake, ALICE, mails=2, meetings=1)
    fill(fake, BOB, mails=3)
    results = engine(store, tmp_path / "state", org(fake, "alice", ALICE),
                     org(fake, "bob", BOB)).sync()
    assert [(r.name, r.status) for r in results] == [("alice", "ok"), ("bob", "ok")]
    counts = {s.key: s.records for r in results for s in r.streams}
    assert counts == {"alice/mail": 2, "alice/calendar": 1, "bob/mail": 3, "bob/calendar": 0}
    assert graph_paths(fake, "/users/alice@") and graph_paths(fake, "/users/bob@")
    assert not graph_paths(fake, "/v1.0/me/")  # an app has no /me
    posts = app_posts(fake)  # one shared app: its token serves every member
    assert len(posts) == 1 and posts[0]["scope"] == f"{fake.base}/.default"
    assert posts[0]["client_secret"] == fake.identity.client_secret
    assert not (tmp_path / "state" / "tokens").exists()  # no token file per person


def test_member_outside_the_policy_is_marked_and_the_others_go_on(
        fake: FakeGraph, store: Any, tmp_path: Path) -> None:
    fill(fake, ALICE, mails=2)
    fill(fake, BOB, mails=4)
    fake.policy = {ALICE}
    bob, alice = engine(store, tmp_path / "state", org(fake, "bob", BOB),
                        org(fake, "alice", ALICE)).sync()
    assert (bob.status, alice.status) == ("refused", "ok")  # signing in again cannot fix it
    assert "Access to OData is disabled" in (bob.error or "") and BOB in (bob.error or "")
    assert "New-ApplicationAccessPolicy" in (bob.fix or "")
    assert f"Test-ApplicationAccessPolicy -Identity {BOB}" in (bob.fix or "")
    assert len(graph_paths(fake, "/users/bob@")) == 1  # refused once, never retried or re-asked
    assert {s.key: s.records for s in alice.streams}["alice/mail"] == 2


def test_the_summary_and_doctor_say_a_policy_refusal_is_for_the_administrator(
        fake: FakeGraph, store: Any, tmp_path: Path) -> None:
    """Bob cannot fix an access policy by signing in: his summary and doctor say whose fix
    it is, with the policy command the refusal named."""
    from daemon.summary.gather import build_summary
    from daemon.summary.render import render_text

    fill(fake, ALICE, mails=2)
    fake.policy = {ALICE}
    accounts = (org(fake, "bob", BOB), org(fake, "alice", ALICE))
    engine(store, tmp_path / "state", *accounts).sync()
    cfg = Config(me=MeSettings(addresses=(ALICE, BOB)), accounts=accounts)
    text = render_text(build_summary(store, cfg, NOW))
    assert "bob (microsoft): refused by the organisation's settings (for your administrator)" \
        in text
    assert "New-ApplicationAccessPolicy" in text and "failing" not in text
    said = [c.text for c in doctor.stream_checks(store, cfg)]
    assert any("bob is refused by the organisation's settings" in m
               and "Test-ApplicationAccessPolicy" in m for m in said)


def test_a_wrong_client_secret_is_a_clear_credential_error(
        fake: FakeGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "the-secret-id-not-its-value")
    mail = microsoft.build(org(fake, "alice", ALICE), env(tmp_path), sleep=Waits())[0]
    with pytest.raises(AppRegistrationRefused) as caught:
        list(mail.pages(None))
    assert not isinstance(caught.value, AuthExpired)  # `keepwarm auth` cannot fix it
    text = str(caught.value)
    assert "AADSTS7000215" in text and fake.identity.tenant in text
    assert fake.identity.client_id in text and "Trace ID" not in text
    assert "Secret ID" in caught.value.hint and SECRET_ENV in caught.value.hint
    assert len(app_posts(fake)) == 1 and not graph_paths(fake, "")


def _certificate(folder: Path) -> tuple[Path, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keepwarm app")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2)).sign(key, hashes.SHA256()))
    path = folder / "graph-app.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption())
                     + cert.public_bytes(serialization.Encoding.PEM))
    path.chmod(0o600)
    return path, cert


def test_a_certificate_signs_the_client_assertion(fake: FakeGraph, tmp_path: Path) -> None:
    fill(fake, ALICE, mails=2)
    pem, cert = _certificate(tmp_path)
    acct = org(fake, "alice", ALICE, client_secret_env=None, client_certificate_file=pem)
    fake.identity.certificates = []  # not uploaded yet: Entra refuses the assertion
    with pytest.raises(AppRegistrationRefused, match="AADSTS700027"):
        list(microsoft.build(acct, env(tmp_path), sleep=Waits())[0].pages(None))
    fake.identity.certificates = [cert]
    other = acct.model_copy(update={"name": "alice2"})  # a fresh session (the first refused)
    pages = list(microsoft.build(other, env(tmp_path), sleep=Waits())[0].pages(None))
    assert sum(len(p.records) for p in pages) == 2
    post = app_posts(fake)[-1]
    assert "client_secret" not in post
    assert post["client_assertion_type"].endswith("jwt-bearer")


def test_doctor_names_a_secret_file_others_can_read(fake: FakeGraph, tmp_path: Path) -> None:
    secret = tmp_path / "graph-secret"
    secret.write_text(fake.identity.client_secret + "\n")
    secret.chmod(0o644)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n[me]\naddresses = ["{ALICE}"]\n'
        f'[[accounts]]\nname = "alice"\nkind = "microsoft"\nauth = "organisation"\n'
        f'client_id = "{fake.identity.client_id}"\ntenant = "{fake.identity.tenant}"\n'
        f'authority = "{fake.authority}"\ngraph_endpoint = "{fake.base}"\n'
        f'address = "{ALICE}"\nclient_secret_file = "graph-secret"\n')  # relative: resolved
    cfg.chmod(0o600)
    out = "\n".join(c.line() for c in doctor.run(cfg, tmp_path / "state", now=NOW))
    assert f"FIX  {secret} is readable by others: chmod 600 {secret}" in out
    # the connector refuses the loose file too: the permission check names the same fix
    assert (f"FIX  account alice: client secret file {secret} is readable by others (mode "
            f"0644); refusing to use it (fix: chmod 600 {secret})") in out
    assert not app_posts(fake) and fake.identity.client_secret not in out
    secret.chmod(0o600)
    out = "\n".join(c.line() for c in doctor.run(cfg, tmp_path / "state", now=NOW))
    assert "readable by others" not in out
    assert ("OK   account alice: application permissions calendars.readbasic.all, "
            "mail.readbasic.all") in out


def test_doctor_checks_the_apps_permissions_are_least_privilege(
        fake: FakeGraph, tmp_path: Path) -> None:
    fake.identity.roles = {"Mail.ReadBasic.All", "Calendars.ReadBasic.All", "Mail.ReadWrite"}
    config = Config(me=MeSettings(addresses=(ALICE,)), accounts=(org(fake, "alice", ALICE),))
    (check,) = scopes.scope_checks(config, tmp_path)
    assert "wider than metadata-only: mail.readwrite" in str(check), check
    assert check.level == "WARN"


def test_doctor_names_a_missing_permission(fake: FakeGraph, tmp_path: Path) -> None:
    fake.identity.roles = {"Mail.ReadBasic.All"}
    config = Config(me=MeSettings(addresses=(ALICE,)), accounts=(org(fake, "alice", ALICE),))
    (check,) = scopes.scope_checks(config, tmp_path)
    assert check.level == "FIX" and "calendars.readbasic.all" in str(check)


def test_keepwarm_auth_says_no_sign_in_is_needed(fake: FakeGraph, tmp_path: Path) -> None:
    shown: list[str] = []
    microsoft.authorize(org(fake, "alice", ALICE), env(tmp_path), show=shown.append)
    assert "no per-person sign-in is needed" in shown[0]
    assert "Mail.ReadBasic.All, Calendars.ReadBasic.All" in shown[0]
    assert not fake.requests


def test_send_posts_to_the_members_mailbox_with_mail_send(fake: FakeGraph,
                                                          tmp_path: Path) -> None:
    from email.message import EmailMessage

    fake.identity.roles |= {"Mail.Send"}
    message = EmailMessage()
    message["To"], message["Subject"] = ALICE, "Your week"
    message.set_content("hello")
    microsoft.send(org(fake, "alice", ALICE, send=True), env(tmp_path), message)
    assert len(fake.sent) == 1 and graph_paths(fake, "/users/alice@contoso.example/sendMail")


class _UsGov(requests.Session):
    """The national cloud's sign-in host answered by the fake (it stands in for
    login.microsoftonline.us); every URL asked for is kept."""

    asked: list[str] = []
    base = ""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any  # type: ignore[override]
                ) -> requests.Response:
        type(self).asked.append(url)
        url = url.replace("https://login.microsoftonline.us", type(self).base)
        return super().request(method, url, *args, **kwargs)


def test_usgov_cloud_signs_in_at_its_own_authority(fake: FakeGraph,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    acct = MicrosoftAccount(kind="microsoft", name="gov", client_id=fake.identity.client_id,
                            tenant=fake.identity.tenant, cloud="usgov", auth="organisation",
                            address=ALICE, client_secret_env=SECRET_ENV)

    class Watched(_UsGov, app_auth.Watched):
        pass

    Watched.asked, Watched.base = [], fake.base
    monkeypatch.setattr(app_auth, "Watched", Watched)
    app_auth.AppSession(acct).token()
    assert Watched.asked[0] == (f"https://login.microsoftonline.us/{fake.identity.tenant}"
                                "/v2.0/.well-known/openid-configuration")
    assert not any("microsoftonline.com" in u for u in Watched.asked)  # no global discovery
    assert app_posts(fake)[0]["scope"] == "https://graph.microsoft.us/.default"
    assert graph_root(acct) == "https://graph.microsoft.us/v1.0"
    assert mailbox_path(acct) == f"/users/{ALICE}"


@pytest.mark.parametrize(("changes", "problem"), [
    ({}, "exactly one of client_secret_env"),
    ({"client_secret_env": "A", "client_secret_file": "/x"}, "found 2"),
    ({"client_secret_env": "A", "address": None}, "needs address"),
    ({"client_secret_env": "A", "tenant": "common"}, "not 'common'"),
    ({"client_secret_env": "A", "tenant": "organizations"}, "not 'organizations'"),
])
def test_organisation_settings_are_checked(changes: dict[str, Any], problem: str) -> None:
    given = {"kind": "microsoft", "name": "a", "client_id": "x", "auth": "organisation",
             "tenant": "contoso.onmicrosoft.com", "address": ALICE, **changes}
    with pytest.raises(ValidationError, match=problem):
        MicrosoftAccount(**given)


def test_user_accounts_take_no_app_credential() -> None:
    with pytest.raises(ValidationError, match="organisation"):
        MicrosoftAccount(kind="microsoft", name="a", client_id="x", client_secret_env="A")
    plain = MicrosoftAccount(kind="microsoft", name="a", client_id="x")
    assert plain.auth == "user" and mailbox_path(plain) == "/me"


def test_certificate_file_mode_is_enforced(tmp_path: Path) -> None:
    pem, _ = _certificate(tmp_path)
    pem.chmod(0o640)
    acct = MicrosoftAccount(kind="microsoft", name="a", client_id="x", auth="organisation",
                            tenant="t1", address=ALICE, client_certificate_file=pem)
    with pytest.raises(ConnectorError, match="readable by others") as caught:
        app_auth.credential(acct)
    assert caught.value.hint == f"chmod 600 {pem}"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o640  # never changed behind the admin's back


def test_a_refused_app_token_is_replaced_once(fake: FakeGraph, tmp_path: Path) -> None:
    fill(fake, ALICE, mails=1)
    acct = org(fake, "alice", ALICE, calendar=False)
    list(microsoft.build(acct, env(tmp_path), sleep=Waits())[0].pages(None))
    fake.identity.access.clear()  # Graph no longer takes the cached token (key rollover)
    pages = list(microsoft.build(acct, env(tmp_path), sleep=Waits())[0].pages(None))
    assert sum(len(p.records) for p in pages) == 1
    assert len(app_posts(fake)) == 2  # MSAL's cached token dropped, a new one asked once


def test_a_busy_token_endpoint_is_retried(fake: FakeGraph, tmp_path: Path) -> None:
    fill(fake, ALICE, mails=1)
    fake.identity.faults, fake.identity.retry_after = [503], "2"
    waits = Waits()
    mail = microsoft.build(org(fake, "alice", ALICE), env(tmp_path), sleep=waits)[0]
    assert sum(len(p.records) for p in mail.pages(None)) == 1
    assert waits == [2.0] and len(app_posts(fake)) == 2


def test_a_member_without_a_mailbox_is_marked_with_the_address_to_check(
        fake: FakeGraph, store: Any, tmp_path: Path) -> None:
    (carol,) = engine(store, tmp_path / "state",
                      org(fake, "carol", "carol@contoso.example")).sync()
    assert carol.status == "error" and "ErrorInvalidUser" in (carol.error or "")
    assert "check address" in (carol.fix or "") and "carol@contoso.example" in (carol.fix or "")
    assert len(graph_paths(fake, "/users/carol@")) == 1
