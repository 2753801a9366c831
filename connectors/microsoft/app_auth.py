"""Organisation-wide sign-in for Microsoft accounts (``auth = "organisation"``): the OAuth
client-credentials flow of an MSAL confidential client, with the app's own client secret or
certificate and the application permissions an administrator consented to for the tenant
(``Mail.ReadBasic.All``, ``Calendars.ReadBasic.All``; ``Mail.Send`` only with ``send``).

No token file per person: MSAL keeps the app's token in memory, and one confidential client
serves every account of the process with the same tenant, client id, authority and credential
(so a firm of 300 asks the token endpoint once an hour, not 300 times). A refused credential
is an :class:`~connectors.microsoft.refusals.AppRegistrationRefused` naming the tenant and the
client id, never retried.
"""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from connectors.errors import ConnectorError, SourceUnavailable, Transient
from connectors.microsoft import refusals
from connectors.microsoft.auth import CLOUDS, Watched, authority_url, token_failure
from connectors.secrets import MissingSecret, read_password
from connectors.settings import MicrosoftAccount

Credential = str | dict[str, str]


def mailbox_path(account: MicrosoftAccount) -> str:
    """Where the account's mailbox hangs in Graph: ``/me`` for a person's own sign-in, the
    member's ``/users/{address}`` for an organisation's app (which has no ``me``)."""
    if account.auth == "organisation" and account.address:
        return "/users/" + quote(account.address, safe="@")
    return "/me"


def app_scopes(account: MicrosoftAccount) -> list[str]:
    """``<graph root>/.default``: every application permission consented for the app, on the
    account's cloud (tokens of one cloud are refused by another's Graph)."""
    root = (account.graph_endpoint or CLOUDS[account.cloud][1]).rstrip("/")
    return [f"{root}/.default"]


def app_permissions(account: MicrosoftAccount) -> list[str]:
    """The least-privilege application permissions the account's streams need."""
    wanted = ["Mail.ReadBasic.All"] if account.mail else []
    wanted += ["Calendars.ReadBasic.All"] if account.calendar else []
    return wanted + (["Mail.Send"] if account.send else [])


def credential(account: MicrosoftAccount) -> Credential:
    """The app's secret (env, or the first line of a 0600 file), or ``{private_key,
    public_certificate}`` from one 0600 PEM file, from which MSAL computes the thumbprint."""
    try:
        if account.client_secret_env:
            return read_password(setting=f"account {account.name!r}", user=account.client_id,
                                 env=account.client_secret_env)
        if account.client_secret_file is not None:
            path = account.client_secret_file.expanduser()
            lines = _private(path, "client secret file").decode("utf-8").splitlines()
            if not lines or not lines[0].strip():
                raise MissingSecret(f"client secret file {path} is empty",
                                    hint=f"write the secret's Value into {path}")
            return lines[0].strip()
        assert account.client_certificate_file is not None  # the settings demand one of three
        path = account.client_certificate_file.expanduser()
        return _certificate(path, _private(path, "certificate file"))
    except MissingSecret as exc:  # AuthExpired would send the user to `keepwarm auth`
        raise refusals.AppRegistrationRefused(str(exc), hint=exc.hint) from None


def _private(path: Path, what: str) -> bytes:
    """The bytes of a credential file nobody but its owner can read."""
    try:
        mode, data = stat.S_IMODE(path.stat().st_mode), path.read_bytes()
    except OSError as exc:
        raise MissingSecret(f"cannot read {what} {path}: {exc.strerror}",
                            hint=f"check the path of the {what}") from None
    if mode & 0o077:
        raise MissingSecret(f"{what} {path} is readable by others (mode {mode:04o}); refusing "
                            "to use it", hint=f"chmod 600 {path}")
    return data


def _certificate(path: Path, pem: bytes) -> dict[str, str]:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
        cert = x509.load_pem_x509_certificate(pem)
    except (ValueError, TypeError) as exc:
        raise MissingSecret(f"certificate file {path} needs an unencrypted private key and its "
                            f"certificate, both PEM ({exc})", hint=f"fix {path}") from None
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return {"private_key": key_pem.decode(),
            "public_certificate": cert.public_bytes(serialization.Encoding.PEM).decode()}


@dataclass
class SharedApp:
    """One confidential client, its HTTP client and MSAL's error replays; ``lock`` serialises
    token requests (``Watched.last`` must belong to the request just made)."""

    app: msal.ConfidentialClientApplication
    http: Watched
    replays: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_APPS: dict[tuple[str, str, str], SharedApp] = {}
_APPS_LOCK = threading.Lock()


def shared_app(account: MicrosoftAccount) -> SharedApp:
    """The process's confidential client for the account's tenant, app, authority and
    credential (a rotated secret gets a new one)."""
    secret = credential(account)
    digest = hashlib.sha256(repr(secret).encode()).hexdigest()
    authority = authority_url(account)
    key = (account.client_id, authority, digest)  # the authority names the tenant
    with _APPS_LOCK:
        if key not in _APPS:
            http, replays = Watched(), dict[str, Any]()
            app = _build(account, authority, secret, http, replays)
            _APPS[key] = SharedApp(app, http, replays)
        return _APPS[key]


def _build(account: MicrosoftAccount, authority: str, secret: Credential, http: Watched,
           replays: dict[str, Any]) -> msal.ConfidentialClientApplication:
    try:
        return msal.ConfidentialClientApplication(
            account.client_id, authority=authority, client_credential=secret,
            instance_discovery=False if account.authority else None, timeout=60,
            http_client=http, http_cache=replays)
    except ValueError as exc:
        raise ConnectorError(f"bad Microsoft authority or certificate: {exc}",
                             hint="check tenant/cloud/authority and client_certificate_file"
                             ) from exc
    except Exception as exc:  # requests' network errors, unreadable discovery documents
        host = urlsplit(authority).netloc
        raise SourceUnavailable(f"sign-in service {host} unreachable ({type(exc).__name__})",
                                hint=f"check the network and that {host} is the right sign-in "
                                "host (cloud, authority); the next sync tries again") from exc


class AppSession:
    """Access tokens for one member's account from the shared confidential client; the same
    ``token(force_refresh)`` contract as :class:`~connectors.microsoft.auth.MsalSession`."""

    def __init__(self, account: MicrosoftAccount) -> None:
        self.account = account
        self.username = account.address
        self._shared: SharedApp | None = None
        self._refused: ConnectorError | None = None  # once refused, fail fast: no requests

    def token(self, force_refresh: bool = False) -> str:
        """A valid app token; raises AppRegistrationRefused when the credential is refused."""
        if self._refused is not None:
            raise self._refused
        if self._shared is None:
            self._shared = shared_app(self.account)
        result = self._acquire(self._shared, force_refresh)
        if "access_token" in result:
            return str(result["access_token"])
        if result.get("error") in ("invalid_client", "unauthorized_client", "invalid_scope",
                                   "invalid_request", "invalid_grant"):
            self._refused = refusals.app_refused(self.account, authority_url(self.account),
                                                 result)
            raise self._refused
        raise token_failure(self.account.name, self._shared.http, self._shared.replays,
                            str(result.get("error")))

    def roles(self) -> set[str]:
        """The application permissions (lower case) the token carries in its ``roles`` claim:
        what an administrator consented to. Empty when the token is not a readable JWT."""
        try:
            payload = self.token().split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            return set()
        found = claims.get("roles") if isinstance(claims, dict) else None
        return {str(r).lower() for r in found} if isinstance(found, list) else set()

    def _acquire(self, shared: SharedApp, force_refresh: bool) -> dict[str, Any]:
        with shared.lock:
            if force_refresh:  # Graph refused the cached token: drop it, ask anew
                shared.app.remove_tokens_for_client()
            shared.http.last = None
            try:
                result = shared.app.acquire_token_for_client(app_scopes(self.account))
            except requests.RequestException as exc:  # no answer: refused, reset, timed out
                shared.replays.clear()
                raise Transient(f"token endpoint unreachable ({type(exc).__name__})") from exc
            except Exception as exc:  # MsalServiceError on a 5xx, ValueError on a garbled body
                raise token_failure(self.account.name, shared.http, shared.replays,
                                    type(exc).__name__) from exc
        return result if isinstance(result, dict) else {"error": "no_answer"}
