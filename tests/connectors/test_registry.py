"""The registry checks itself: every account kind is registered, every registered module offers
what its entry promises, client libraries load only for the kinds that need them, and the
sign-in facts (token files, granted scopes) come from the connectors."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path

import pytest

import connectors
from connectors import settings
from connectors.base import Env
from connectors.registry import CONNECTORS
from daemon.config import DeliverySettings

ROOT = Path(__file__).resolve().parents[2]


def test_every_account_kind_is_registered_under_its_own_name():
    union = typing.get_args(typing.get_args(settings.AccountSettings)[0])
    kinds = {typing.get_args(m.model_fields["kind"].annotation)[0] for m in union}
    assert kinds == set(settings.ACCOUNT_KINDS) == set(CONNECTORS)
    assert all(kind == entry.kind for kind, entry in CONNECTORS.items())


@pytest.mark.parametrize("kind", sorted(CONNECTORS))
def test_each_module_offers_what_its_entry_promises(kind: str):
    entry = CONNECTORS[kind]
    module = entry.load()
    for name in entry.offers:
        assert callable(getattr(module, name, None)), f"{entry.module}.{name} is missing"


def test_each_sending_connector_serves_a_delivery_method():
    methods = set(typing.get_args(DeliverySettings.model_fields["method"].annotation))
    for entry in CONNECTORS.values():
        if entry.sends:
            assert entry.sends in methods and connectors.send_kind(entry.sends) == entry.kind
    assert connectors.send_kind("smtp") is None


def test_file_accounts_never_load_a_client_library(tmp_path: Path):
    (tmp_path / "a.mbox").write_bytes(b"")
    code = (
        "import sys, connectors\n"
        "from connectors.base import Env\n"
        "from connectors.settings import MboxAccount, MaildirAccount, IcsAccount\n"
        f"p, env = {str(tmp_path)!r}, Env(state_dir={str(tmp_path)!r})\n"
        "for a in (MboxAccount(name='m', kind='mbox', path=p),\n"
        "          MaildirAccount(name='d', kind='maildir', path=p),\n"
        "          IcsAccount(name='i', kind='ics', path=p)):\n"
        "    for s in connectors.build(a, env):\n"
        "        list(s.pages(None))\n"
        "    assert not connectors.signs_in(a.kind) and connectors.granted_scopes(a, env) is None\n"
        "libraries = ('googleapiclient', 'google.auth', 'msal', 'httpx')\n"
        "assert not [m for m in libraries if m in sys.modules], sys.modules.keys()\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def google(name: str = "g") -> settings.GoogleAccount:
    return settings.GoogleAccount(kind="google", name=name, client_secrets=Path("s.json"))


def microsoft(name: str = "m") -> settings.MicrosoftAccount:
    return settings.MicrosoftAccount(kind="microsoft", name=name, client_id="abc")


def test_token_files_and_granted_scopes(tmp_path: Path):
    env = Env(state_dir=tmp_path)
    g, m = google(), microsoft()
    assert connectors.token_path(g, env) == tmp_path / "tokens" / "g.json"
    assert connectors.token_path(m, env) == tmp_path / "tokens" / "m.msal.json"
    assert connectors.granted_scopes(g, env) is None  # not signed in
    assert connectors.granted_scopes(m, env) is None
    (tmp_path / "tokens").mkdir()
    (tmp_path / "tokens" / "g.json").write_text(json.dumps({"token": "t", "scopes": [
        "https://www.googleapis.com/auth/gmail.metadata", "openid"]}))
    assert connectors.granted_scopes(g, env) == {"gmail.metadata", "openid"}
    (tmp_path / "tokens" / "m.msal.json").write_text(json.dumps({
        "AccessToken": {"k": {"secret": "s", "target": "Mail.ReadBasic"}},
        "RefreshToken": {"r": {"secret": "s", "target":
                               "https://graph.microsoft.com/Mail.ReadBasic Mail.Send"}}}))
    assert connectors.granted_scopes(m, env) == {"mail.readbasic", "mail.send"}
    (tmp_path / "tokens" / "m.msal.json").write_text(json.dumps({"Account": {}}))
    assert connectors.granted_scopes(m, env) == set()  # signed in, scopes not recorded
    (tmp_path / "tokens" / "g.json").write_text("{half a file")
    assert connectors.granted_scopes(g, env) is None
