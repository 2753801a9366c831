"""Organisation-wide sign-in: a Workspace service account with domain-wide delegation acts for
each member, through the real google-auth and google-api-python-client pointed at the fake
Google, whose token endpoint verifies the JWT-bearer grant with the service account's public
key (issue 15)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select

import daemon.cli
from connectors.base import Env
from connectors.settings import GoogleAccount
from daemon.config import Config, MeSettings
from daemon.service import doctor
from daemon.store import Store
from daemon.store.models import Account, Contact
from daemon.sync.engine import Engine

from fakes.google_delegation import GOOGLE_TOKEN_URI, ROOT, ServiceAccount
from fakes.google_server import FakeGoogle

ANN, BEN = "ann@firm.example", "ben@firm.example"
LEAST = {ROOT + "gmail.metadata", ROOT + "calendar.readonly"}


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        g.service_account = ServiceAccount(users={ANN, BEN})
        for who, peer in ((ANN, "carol@client.example"), (BEN, "dave@supplier.example")):
            box = g.member(who)
            for i in range(3):
                box.add(g.now - timedelta(days=i + 1), [
                    ("From", f"Peer <{peer}>"), ("To", who),
                    ("Message-ID", f"<{i}.{who}@mail.example>"),
                    ("Date", "Mon, 2 Mar 2026 10:00:00 +0000")])
            g.cals_of[who]["primary"].add(
                f"meet-{who}", g.now - timedelta(days=2),
                attendees=[{"email": who, "self": True, "responseStatus": "accepted"},
                           {"email": peer, "responseStatus": "accepted"}])
        yield g


def key(fake: FakeGoogle, folder: Path, mode: int = 0o600) -> Path:
    assert fake.service_account is not None
    return fake.service_account.write_key(folder / "firm-sa.json", mode)


def member(fake: FakeGoogle, keyfile: Path, address: str, **kw: Any) -> GoogleAccount:
    return GoogleAccount(kind="google", name=address.split("@")[0], auth="organisation",
                         service_account_file=keyfile, address=address,
                         api_endpoint=fake.url, token_uri=fake.token_uri, **kw)


def sync(store: Store, fake: FakeGoogle, state: Path, *accounts: GoogleAccount) -> dict:
    cfg = Config(me=MeSettings(addresses=(ANN, BEN)), accounts=accounts)
    results = Engine(store, cfg, Env(state_dir=state, now=lambda: fake.now)).sync()
    return {r.name: r for r in results}


def test_two_members_sync_through_the_engine_with_no_token_file(
        store: Store, fake: FakeGoogle, tmp_path: Path) -> None:
    keyfile = key(fake, tmp_path)
    got = sync(store, fake, tmp_path / "state", member(fake, keyfile, ANN),
               member(fake, keyfile, BEN))
    for name in ("ann", "ben"):
        assert got[name].error is None, got[name].error
        assert [(s.key, s.records, s.complete) for s in got[name].streams] == [
            (f"{name}/mail", 3, True), (f"{name}/calendar", 1, True)]
    with store.session() as s:
        contacts = set(s.scalars(select(Contact.address)))
    assert {"carol@client.example", "dave@supplier.example"} <= contacts
    assert {c["sub"] for c in fake.service_account.grants} == {ANN, BEN}  # type: ignore[union-attr]
    assert not (tmp_path / "state" / "tokens").exists()  # no user token read or written


def test_the_grants_ask_exactly_the_least_privilege_scopes(
        store: Store, fake: FakeGoogle, tmp_path: Path) -> None:
    keyfile = key(fake, tmp_path)
    sync(store, fake, tmp_path / "state", member(fake, keyfile, ANN))
    grants = fake.service_account.grants  # type: ignore[union-attr]
    assert grants and all(set(g["scope"].split()) == LEAST for g in grants)
    assert all(g["aud"] == GOOGLE_TOKEN_URI and g["iss"].endswith(".iam.gserviceaccount.com")
               for g in grants)
    assert all(set(scopes) == LEAST for scopes in fake.scopes_of.values())
    sender = member(fake, keyfile, BEN, send=True)
    from connectors.google.auth import scopes

    assert set(scopes(sender)) == LEAST | {ROOT + "gmail.send"}


@pytest.mark.parametrize(("refusal", "code", "says"), [
    ("not-a-user", "invalid_grant", "Admin console > Directory > Users"),
    ("unauthorized_client", "unauthorized_client", "Domain-wide delegation"),
])
def test_a_member_refused_is_marked_and_the_other_syncs(
        store: Store, fake: FakeGoogle, tmp_path: Path, refusal: str, code: str,
        says: str) -> None:
    sa = fake.service_account
    assert sa is not None
    sa.refusals[BEN] = refusal
    keyfile = key(fake, tmp_path)
    got = sync(store, fake, tmp_path / "state", member(fake, keyfile, ANN),
               member(fake, keyfile, BEN))
    assert got["ann"].error is None and all(s.complete for s in got["ann"].streams)
    ben = got["ben"]
    assert ben.status == "needs_reauth"
    assert BEN in (ben.error or "") and code in (ben.error or "")
    assert says in (ben.fix or "")
    assert f"client ID {sa.client_id}" in (ben.fix or "")
    assert f"{ROOT}gmail.metadata,{ROOT}calendar.readonly" in (ben.fix or "")
    assert "keepwarm auth" not in (ben.fix or "")
    assert fake.token_calls == 3  # ann's two streams, and ben's refusal never retried
    with store.session() as s:
        status = {name: st for name, st in s.execute(select(Account.name, Account.status))}
    assert status == {"ann": "ok", "ben": "needs_reauth"}


def test_scopes_not_delegated_name_the_client_id_and_scopes(
        store: Store, fake: FakeGoogle, tmp_path: Path) -> None:
    sa = fake.service_account
    assert sa is not None
    sa.scopes = frozenset({ROOT + "gmail.metadata"})  # the admin forgot the calendar
    got = sync(store, fake, tmp_path / "state", member(fake, key(fake, tmp_path), ANN))
    assert got["ann"].status == "needs_reauth"
    assert "has not delegated these scopes" in (got["ann"].error or "")
    assert "Security > Access and data control > API controls > Domain-wide delegation" in (
        got["ann"].fix or "")


def test_a_deleted_key_says_to_make_a_new_one(
        store: Store, fake: FakeGoogle, tmp_path: Path) -> None:
    keyfile = key(fake, tmp_path)
    assert fake.service_account is not None
    fake.service_account.key = ServiceAccount().key  # Google no longer knows the old key
    got = sync(store, fake, tmp_path / "state", member(fake, keyfile, ANN))
    assert got["ann"].status == "needs_reauth"
    assert "Invalid JWT Signature" in (got["ann"].error or "")
    assert f"chmod 600 {keyfile}" in (got["ann"].fix or "")


def test_settings_name_what_each_way_of_signing_in_needs(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="service_account_file and address"):
        GoogleAccount(kind="google", name="x", auth="organisation")
    with pytest.raises(ValidationError, match="address"):
        GoogleAccount(kind="google", name="x", auth="organisation",
                      service_account_file=tmp_path / "k.json")
    with pytest.raises(ValidationError, match="client_secrets"):
        GoogleAccount(kind="google", name="x")


def write_config(tmp_path: Path, keyfile: Path) -> tuple[Path, Path]:
    state = Path(os.environ["XDG_STATE_HOME"]) / "keepwarm"
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[store]\nurl = "sqlite:///{state / "keepwarm.db"}"\n'
        '[me]\naddresses = ["ann@firm.example"]\n'
        '[[accounts]]\nname = "ann"\nkind = "google"\nauth = "organisation"\n'
        f'service_account_file = "{keyfile.name}"\naddress = "{ANN}"\n')
    cfg.chmod(0o600)
    return cfg, state


def test_doctor_checks_the_key_file_and_the_scopes(fake: FakeGoogle, tmp_path: Path) -> None:
    keyfile = key(fake, tmp_path, mode=0o644)
    cfg, state = write_config(tmp_path, keyfile)
    out = "\n".join(c.line() for c in doctor.run(cfg, state))
    assert f"FIX  {keyfile} is readable by others: chmod 600 {keyfile}" in out
    assert f"OK   account ann: service account key {keyfile}" in out
    assert "OK   account ann: scopes calendar.readonly, gmail.metadata" in out
    assert "not signed in" not in out and "BEGIN PRIVATE KEY" not in out
    keyfile.chmod(0o600)
    keyfile.write_text(json.dumps({"installed": {"client_id": "x.apps.googleusercontent.com"}}))
    out = "\n".join(c.line() for c in doctor.run(cfg, state))
    assert "is readable by others" not in out
    assert f"FIX  account ann: {keyfile} is not a service account's JSON key" in out


def test_doctor_shows_a_refused_delegation_with_its_fix(fake: FakeGoogle, tmp_path: Path) -> None:
    cfg, state = write_config(tmp_path, key(fake, tmp_path))
    store = Store(f"sqlite:///{state / 'keepwarm.db'}")
    with store.transaction() as s:
        s.add(Account(name="ann", kind="google", status="needs_reauth",
                      last_error="Google refused to act for ann@firm.example (invalid_grant)",
                      last_error_fix="check it in Admin console > Directory > Users"))
    store.dispose()
    out = "\n".join(c.line() for c in doctor.run(cfg, state))
    assert "FIX  account ann: Google refused to act for ann@firm.example" in out
    assert "Directory > Users" in out and "keepwarm auth ann" not in out


def test_keepwarm_auth_explains_the_service_account(
        fake: FakeGoogle, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keyfile = key(fake, tmp_path)
    cfg, _ = write_config(tmp_path, keyfile)
    assert daemon.cli.main(["--config", str(cfg), "auth", "ann"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "no sign-in needed" in out and "service account" in out and ANN in out
    assert "Domain-wide delegation" in out and "gmail.metadata, calendar.readonly" in out
    assert fake.token_calls == 0  # nothing was asked of Google


def test_a_delegated_member_sends_the_summary_only_with_gmail_send_delegated(
        fake: FakeGoogle, tmp_path: Path) -> None:
    from email.message import EmailMessage

    from connectors.errors import AuthExpired
    from connectors.google import gmail_send

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = BEN, BEN, "Keepwarm weekly"
    msg.set_content("summary")
    sender = member(fake, key(fake, tmp_path), BEN, send=True)
    env = Env(state_dir=tmp_path / "state", now=lambda: fake.now)
    with pytest.raises(AuthExpired, match="has not delegated") as refused:
        gmail_send.send(sender, env, msg, sleep=lambda _: None)
    assert f"{ROOT}gmail.send" in refused.value.hint
    assert fake.service_account is not None
    fake.service_account.scopes |= {ROOT + "gmail.send"}
    gmail_send.send(sender, env, msg, sleep=lambda _: None)
    assert len(fake.sent) == 1
    assert any("SENT" in m.labels for m in fake.member(BEN).messages.values())


def test_the_summary_says_a_refused_delegation_is_for_the_administrator(
        store: Store, fake: FakeGoogle, tmp_path: Path) -> None:
    """The member cannot fix a refused delegation by signing in: their summary says whose fix
    it is, with the fix the refusal named."""
    from daemon.summary.gather import build_summary
    from daemon.summary.render import render_html, render_text

    assert fake.service_account is not None
    fake.service_account.refusals[BEN] = "unauthorized_client"
    keyfile = key(fake, tmp_path)
    accounts = (member(fake, keyfile, ANN), member(fake, keyfile, BEN))
    sync(store, fake, tmp_path / "state", *accounts)
    cfg = Config(me=MeSettings(addresses=(ANN, BEN)), accounts=accounts)
    summary = build_summary(store, cfg, fake.now)
    text = render_text(summary)
    assert "ben (google): refused by the organisation's settings (for your administrator)" in text
    assert "Domain-wide delegation" in text
    assert "needs signing in again" not in text + render_html(summary)
    assert [h.name for h in summary.health if h.problem] == ["ben"]
