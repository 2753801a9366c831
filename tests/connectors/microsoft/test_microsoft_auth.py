"""Microsoft sign-in: the real msal device-code flow and silent refresh against the fake
identity endpoint; token cache file handling; national clouds."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine

from connectors.errors import AuthExpired, ConnectorError, SourceUnavailable
from connectors.microsoft import auth
from connectors.settings import MicrosoftAccount

from fakes.graph_fixtures import Waits, account, env, running_fake, sign_in, sources
from fakes.graph_server import FakeGraph


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    with running_fake(tmp_path, monkeypatch) as g:
        yield g


def token_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "tokens" / "work.msal.json"


def test_device_code_flow_prints_code_and_saves_cache_0600(fake: FakeGraph,
                                                           tmp_path: Path) -> None:
    shown = sign_in(fake, tmp_path / "state")
    assert "KW7X-QP2M" in shown[0] and "https://microsoft.com/devicelogin" in shown[0]
    path = token_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "RefreshToken" in json.loads(path.read_text())
    assert set(fake.identity.device_scopes) == {"Mail.ReadBasic", "Calendars.ReadBasic",
                                                "openid", "profile", "offline_access"}
    assert not list(path.parent.glob(".msal-*"))  # no temp file left behind


def test_send_adds_mail_send_scope(fake: FakeGraph, tmp_path: Path) -> None:
    sign_in(fake, tmp_path / "state", send=True, calendar=False)
    assert set(fake.identity.device_scopes) - {"openid", "profile", "offline_access"} == {
        "Mail.ReadBasic", "Mail.Send"}


def test_silent_run_reuses_tokens_and_writes_cache_only_when_changed(
        fake: FakeGraph, tmp_path: Path) -> None:
    sign_in(fake, tmp_path / "state")
    path = token_file(tmp_path)
    before = path.stat().st_mtime_ns, path.read_text()
    posts = len(fake.identity.token_posts)
    list(sources(fake, tmp_path / "state")["mail"].pages(None))
    assert len(fake.identity.token_posts) == posts  # the cached access token was enough
    assert (path.stat().st_mtime_ns, path.read_text()) == before


def test_revoked_consent_is_auth_expired_without_retries(fake: FakeGraph,
                                                         tmp_path: Path) -> None:
    sign_in(fake, tmp_path / "state")
    fake.identity.revoked = True
    fake.identity.access.clear()  # Graph now refuses the cached access token (401)
    posts = len(fake.identity.token_posts)
    waits = Waits()
    with pytest.raises(AuthExpired) as caught:
        list(sources(fake, tmp_path / "state", waits)["mail"].pages(None))
    assert "keepwarm auth work" in caught.value.hint
    assert len(fake.identity.token_posts) == posts + 1  # one refresh attempt, no retries
    assert fake.graph_count() == 1 and waits == []


def test_expired_access_token_refresh_refused_on_next_run(fake: FakeGraph,
                                                          tmp_path: Path) -> None:
    fake.identity.expires_in = 60  # msal refreshes tokens this close to expiry
    sign_in(fake, tmp_path / "state")
    fake.identity.revoked = True
    with pytest.raises(AuthExpired):
        list(sources(fake, tmp_path / "state")["calendar"].pages(None))
    assert fake.graph_count() == 0


def test_expired_access_token_is_refreshed_silently(fake: FakeGraph, tmp_path: Path) -> None:
    fake.identity.expires_in = 60
    sign_in(fake, tmp_path / "state")
    path = token_file(tmp_path)
    before = path.read_text()
    fake.mailbox.add_message("inbox")
    pages = list(sources(fake, tmp_path / "state")["mail"].pages(None))
    assert sum(len(p.records) for p in pages) == 1
    assert fake.identity.token_posts[-1]["grant_type"] == "refresh_token"
    assert path.read_text() != before and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_never_signed_in_is_auth_expired(fake: FakeGraph, tmp_path: Path) -> None:
    with pytest.raises(AuthExpired) as caught:
        list(sources(fake, tmp_path / "state")["mail"].pages(None))
    assert "keepwarm auth work" in caught.value.hint


def test_wrong_client_id_is_explained(fake: FakeGraph, tmp_path: Path) -> None:
    from connectors import microsoft
    from connectors.base import Env
    from connectors.errors import ConnectorError

    bad = account(fake).model_copy(update={"client_id": "nope"})
    with pytest.raises(ConnectorError) as caught:
        microsoft.authorize(bad, Env(state_dir=tmp_path), show=print)
    assert "public client" in caught.value.hint


@pytest.mark.parametrize(("cloud", "login", "graph"), [
    ("global", "https://login.microsoftonline.com/common", "https://graph.microsoft.com/v1.0"),
    ("usgov", "https://login.microsoftonline.us/common", "https://graph.microsoft.us/v1.0"),
    ("usgov-dod", "https://login.microsoftonline.us/common",
     "https://dod-graph.microsoft.us/v1.0"),
    ("china", "https://login.chinacloudapi.cn/common",
     "https://microsoftgraph.chinacloudapi.cn/v1.0"),
])
def test_national_clouds(cloud: str, login: str, graph: str) -> None:
    acct = MicrosoftAccount(kind="microsoft", name="gov", client_id="x", cloud=cloud)  # type: ignore[arg-type]
    assert auth.authority_url(acct) == login
    assert auth.graph_root(acct) == graph
    custom = acct.model_copy(update={"authority": "https://proxy.example/t1/",
                                     "graph_endpoint": "https://graph.proxy.example/"})
    assert auth.authority_url(custom) == "https://proxy.example/t1"
    assert auth.graph_root(custom) == "https://graph.proxy.example/v1.0"


# ---- issue 10, point 12: short-lived tokens and a flaky token endpoint ----------------------

def test_short_lived_token_is_kept_for_half_its_life(fake: FakeGraph, tmp_path: Path) -> None:
    fake.identity.expires_in = 120  # under MSAL's own five minutes: it refreshes when asked
    sign_in(fake, tmp_path / "state")
    with time_machine.travel(time.time(), tick=False) as clock:
        session = auth.MsalSession(account(fake), env(tmp_path / "state"))
        posts = len(fake.identity.token_posts)
        first = session.token()
        assert [session.token() for _ in range(5)] == [first] * 5
        clock.shift(59)
        assert session.token() == first
        assert len(fake.identity.token_posts) == posts + 1
        clock.shift(2)  # past half its life: refreshed before it can expire mid-request
        assert session.token() != first
        assert len(fake.identity.token_posts) == posts + 2


def test_a_sync_with_short_lived_tokens_refreshes_once(fake: FakeGraph, tmp_path: Path) -> None:
    fake.identity.expires_in = 300
    sign_in(fake, tmp_path / "state")
    for folder in ("inbox", "archive", "sentitems"):
        for _ in range(6):
            fake.mailbox.add_message(folder)
    fake.page_cap = 2
    posts = len(fake.identity.token_posts)
    list(sources(fake, tmp_path / "state")["mail"].pages(None))
    assert fake.graph_count() > 15
    assert len(fake.identity.token_posts) == posts + 1


@pytest.mark.parametrize("faults", [[503], [500, 0, 502], [0], [429]])
def test_transient_token_endpoint_failures_are_retried(fake: FakeGraph, tmp_path: Path,
                                                       faults: list[int]) -> None:
    fake.identity.expires_in = 60
    sign_in(fake, tmp_path / "state")
    fake.mailbox.add_message("inbox")
    fake.identity.faults = list(faults)
    posts = len(fake.identity.token_posts)
    waits = Waits()
    pages = list(sources(fake, tmp_path / "state", waits)["mail"].pages(None))
    assert sum(len(p.records) for p in pages) == 1
    assert len(fake.identity.token_posts) == posts + len(faults) + 1  # each retry reached it
    assert len(waits) == len(faults)


def test_retry_after_from_the_token_endpoint_is_honoured(fake: FakeGraph,
                                                         tmp_path: Path) -> None:
    fake.identity.expires_in = 60
    sign_in(fake, tmp_path / "state")
    fake.identity.faults, fake.identity.retry_after = [429, 503], "7"
    waits = Waits()
    list(sources(fake, tmp_path / "state", waits)["mail"].pages(None))
    assert waits == [7.0, 7.0]


def test_token_endpoint_down_fails_naming_the_status(fake: FakeGraph, tmp_path: Path) -> None:
    fake.identity.expires_in = 60
    sign_in(fake, tmp_path / "state")
    fake.identity.faults = [503] * 20
    waits = Waits()
    with pytest.raises(SourceUnavailable) as caught:
        list(sources(fake, tmp_path / "state", waits)["mail"].pages(None))
    assert "HTTP 503" in str(caught.value)
    assert len(waits) == 7 and fake.graph_count() == 0


# ---- issue 12: "Allow public client flows" off is fixed in the app registration ------------

APP_SETTING = ("Azure portal > App registrations > your app > Authentication > "
               "Advanced settings > Allow public client flows = Yes")


def test_sign_in_with_public_client_flows_off_names_the_app_setting(fake: FakeGraph,
                                                                     tmp_path: Path) -> None:
    """AADSTS7000218 once came with "run `keepwarm auth work`", the very command that failed."""
    fake.identity.public_client = False
    with pytest.raises(ConnectorError) as caught:
        sign_in(fake, tmp_path / "state")
    assert "AADSTS7000218" in str(caught.value) and "\n" not in str(caught.value)
    assert APP_SETTING in caught.value.hint and "keepwarm auth" in caught.value.hint


def test_refresh_with_public_client_flows_off_names_the_app_setting(fake: FakeGraph,
                                                                     tmp_path: Path) -> None:
    sign_in(fake, tmp_path / "state")
    fake.identity.public_client = False  # turned off after the sign-in
    fake.identity.access.clear()
    with pytest.raises(ConnectorError) as caught:
        list(sources(fake, tmp_path / "state")["mail"].pages(None))
    # not AuthExpired: needs_reauth would send the user to `keepwarm auth` (doctor, summary)
    assert not isinstance(caught.value, AuthExpired)
    assert APP_SETTING in caught.value.hint
    assert "keepwarm auth" not in caught.value.hint  # the saved sign-in works once it is on
    fake.identity.public_client = True
    assert list(sources(fake, tmp_path / "state")["mail"].pages(None))
