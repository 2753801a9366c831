"""MSAL sign-in for Microsoft accounts: cloud endpoints, the persisted token cache, silent
token acquisition on every run, and the device-code flow behind ``keepwarm auth NAME``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msal
import requests

from connectors import retry
from connectors.base import Env
from connectors.errors import AuthExpired, ConnectorError, SourceUnavailable, Throttled, Transient
from connectors.files import read_json, write_private
from connectors.microsoft import refusals
from connectors.microsoft.refusals import reauth_hint
from connectors.settings import MicrosoftAccount

log = logging.getLogger(__name__)
for _name in ("msal", "urllib3", "requests"):
    logging.getLogger(_name).setLevel(logging.WARNING)
logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)  # "Retrying..." noise

# cloud -> (sign-in authority host, Graph root); learn.microsoft.com/graph/deployments
CLOUDS: dict[str, tuple[str, str]] = {
    "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": ("https://login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgov-dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}
# Silent-refresh errors that only a new sign-in fixes (revoked consent, password change, CA).
_FOR_GOOD = {"invalid_grant", "interaction_required", "consent_required", "login_required",
             "invalid_client", "unauthorized_client", "invalid_scope"}


def authority_url(account: MicrosoftAccount) -> str:
    """The sign-in authority: ``authority`` when set, else the cloud's host plus the tenant."""
    if account.authority:
        return account.authority.rstrip("/")
    return f"{CLOUDS[account.cloud][0]}/{account.tenant}"


def graph_root(account: MicrosoftAccount) -> str:
    """The Graph v1.0 root URL: ``graph_endpoint`` when set, else the cloud's Graph host."""
    return (account.graph_endpoint or CLOUDS[account.cloud][1]).rstrip("/") + "/v1.0"


def scopes(account: MicrosoftAccount) -> list[str]:
    """Least privilege: read-basic scopes for the enabled streams, Mail.Send only if asked.
    MSAL adds openid/profile/offline_access itself (and rejects them if named)."""
    wanted = []
    if account.mail:
        wanted.append("Mail.ReadBasic")
    if account.calendar:
        wanted.append("Calendars.ReadBasic")
    if account.send:
        wanted.append("Mail.Send")
    return wanted or ["Mail.ReadBasic"]


def token_path(account: MicrosoftAccount, env: Env) -> Path:
    """Where this account's MSAL token cache lives."""
    return env.state_dir / "tokens" / f"{account.name}.msal.json"


def granted_scopes(account: MicrosoftAccount, env: Env) -> set[str] | None:
    """Scopes (lower case, without resource prefix) of the account's last consent, read from
    its MSAL cache file: the refresh token's target, else the access tokens' (empty: not
    recorded). None when there is no readable cache: not signed in."""
    data = read_json(token_path(account, env))
    if data is None:
        return None
    for kind in ("RefreshToken", "AccessToken"):
        entries = data.get(kind)
        found = entries.values() if isinstance(entries, dict) else ()
        targets = " ".join(str(e.get("target") or "") for e in found if isinstance(e, dict))
        if targets.strip():
            return {s.rsplit("/", 1)[-1].lower() for s in targets.split()}
    return set()


def load_cache(path: Path) -> msal.SerializableTokenCache:
    """The token cache saved at ``path`` (empty when there is none yet)."""
    cache = msal.SerializableTokenCache()
    if path.exists():
        cache.deserialize(path.read_text(encoding="utf-8"))
    return cache


def save_cache(cache: msal.SerializableTokenCache, path: Path) -> None:
    """Write the cache atomically with mode 0600, and only when MSAL changed it."""
    if not cache.has_state_changed:
        return
    write_private(path, cache.serialize())


class Watched(requests.Session):
    """The HTTP client MSAL would build (60 s timeout, one retry on connect), remembering the
    last token-endpoint answer: MSAL's errors do not say the status a failure must name."""

    def __init__(self) -> None:
        super().__init__()
        self.last: tuple[int, str | None] | None = None  # (status, Retry-After)
        for scheme in ("http://", "https://"):
            self.mount(scheme, requests.adapters.HTTPAdapter(max_retries=1))

    def request(self, method: str, url: str,  # type: ignore[override]
                *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        resp = super().request(method, url, *args, **kwargs)
        if method.upper() == "POST":
            self.last = (resp.status_code, resp.headers.get("Retry-After"))
        return resp


def make_app(account: MicrosoftAccount, cache: msal.SerializableTokenCache,
             http: Watched | None = None, http_cache: dict[str, Any] | None = None
             ) -> msal.PublicClientApplication:
    """A public client app. MSAL fetches the authority's OpenID configuration here; an
    explicit ``authority`` (proxy, private endpoint) skips Microsoft's instance discovery.
    ``http_cache`` holds MSAL's replay of recent token-endpoint errors (see MsalSession)."""
    try:
        return msal.PublicClientApplication(
            account.client_id, authority=authority_url(account), token_cache=cache,
            instance_discovery=False if account.authority else None, timeout=60,
            http_client=http, http_cache=http_cache)
    except ValueError as exc:
        raise ConnectorError(f"bad Microsoft authority: {exc}",
                             hint="check tenant/cloud/authority in the config") from exc
    except Exception as exc:  # requests' network errors, unreadable discovery documents
        host = urlsplit(authority_url(account)).netloc
        raise SourceUnavailable(f"sign-in service {host} unreachable ({type(exc).__name__})",
                                hint=f"check the network and that {host} is the right sign-in "
                                "host (cloud, authority); the next sync tries again") from exc


class MsalSession:
    """Access tokens for one account, acquired silently from the persisted cache and kept in
    memory until shortly before they expire. Thread-safe (Graph calls run in a small pool).

    A token-endpoint failure worth another attempt (429, 5xx, no answer) raises Throttled or
    Transient naming the status, for the caller's retry policy; MSAL's replay of that error
    is dropped first, or every retry within its 60 s would get the same answer unasked."""

    def __init__(self, account: MicrosoftAccount, env: Env) -> None:
        self.account = account
        self.path = token_path(account, env)
        self._lock = threading.Lock()
        self._app: msal.PublicClientApplication | None = None
        self._cache: msal.SerializableTokenCache | None = None
        self._http = Watched()
        self._replays: dict[str, Any] = {}  # MSAL's http_cache: errors it replays
        self._token: str | None = None
        self._until = 0.0
        self.username: str | None = account.address
        self._refused: ConnectorError | None = None  # once refused, fail fast: no requests

    def token(self, force_refresh: bool = False) -> str:
        """A valid access token; raises AuthExpired when only a new sign-in can help."""
        with self._lock:
            if self._refused is not None:
                raise self._refused
            if self._token and not force_refresh and time.time() < self._until:
                return self._token
            try:
                result = self._silent(force_refresh)
            except (AuthExpired, refusals.AppRegistrationRefused) as exc:
                self._refused = exc
                raise
            self._token = str(result["access_token"])
            life = float(result.get("expires_in", 3600))
            self._until = time.time() + life - retry.refresh_margin(life)
            return self._token

    def _silent(self, force_refresh: bool) -> dict[str, Any]:
        if self._app is None:
            self._cache = load_cache(self.path)
            self._app = make_app(self.account, self._cache, self._http, self._replays)
        app, hint = self._app, reauth_hint(self.account)
        accounts = _prefer(app.get_accounts(), self.account.address)
        if not accounts:
            raise AuthExpired(f"{self.account.name}: not signed in", hint=hint)
        self.username = self.username or accounts[0].get("username")
        self._http.last = None
        try:
            result = app.acquire_token_silent_with_error(
                scopes(self.account), accounts[0], force_refresh=force_refresh)
        except requests.RequestException as exc:  # no answer: refused, reset, timed out
            self._replays.clear()
            raise Transient(f"token endpoint unreachable ({type(exc).__name__})") from exc
        except Exception as exc:  # MsalServiceError on a 5xx, ValueError on a garbled body
            raise token_failure(self.account.name, self._http, self._replays,
                                type(exc).__name__) from exc
        finally:
            assert self._cache is not None
            save_cache(self._cache, self.path)
        if result and "access_token" in result:
            return result
        error = (result or {}).get("error", "no_cached_token")
        if result is None or error in _FOR_GOOD:
            log.warning("sign-in refused account=%s error=%s", self.account.name, error)
            raise refusals.refresh_refused(self.account, result)
        raise token_failure(self.account.name, self._http, self._replays, error)


def token_failure(name: str, http: Watched, replays: dict[str, Any], error: str
                  ) -> ConnectorError:
    """The error for a failed token request: Throttled or Transient (retried) when the
    endpoint answered 429 or 5xx, else SourceUnavailable; each names the status."""
    status, after = http.last or (0, None)
    if status != 429 and status < 500:  # not worth another attempt
        said = f"HTTP {status}, " if status else ""
        return SourceUnavailable(f"{name}: token refresh failed ({said}{error})",
                                 hint="the next sync tries again")
    replays.clear()  # let the retry reach the endpoint
    message = f"token endpoint answered HTTP {status} ({error})"
    wait = retry.parse_retry_after(after)
    return Throttled(message, retry_after=wait) if wait is not None else Transient(message)


def _prefer(accounts: list[dict[str, Any]], address: str | None) -> list[dict[str, Any]]:
    """The cached accounts, the one whose username is ``address`` first."""
    want = (address or "").lower()
    return sorted(accounts, key=lambda a: str(a.get("username", "")).lower() != want)


def device_code_sign_in(account: MicrosoftAccount, env: Env,
                        show: Callable[[str], None] = print) -> None:
    """Sign in with the device-code flow: show the URL and code, wait, save the cache."""
    path = token_path(account, env)
    cache = load_cache(path)
    app = make_app(account, cache)
    flow = app.initiate_device_flow(scopes=scopes(account))
    if "user_code" not in flow:
        raise ConnectorError(
            f"device sign-in refused: {flow.get('error')}: {flow.get('error_description')}",
            hint="check client_id and tenant, and turn on 'Allow public client flows' "
                 "in the app registration")
    show(str(flow["message"]))
    result = app.acquire_token_by_device_flow(flow)
    save_cache(cache, path)
    if "access_token" not in result:
        raise refusals.sign_in_refused(account, result)
