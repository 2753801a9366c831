"""Google sign-in: the installed-app OAuth flow, and the token file it leaves behind.

The token file (``state_dir/tokens/NAME.json``, mode 0600, written atomically) holds what
google-auth's ``Credentials.to_json`` writes plus ``obtained_at``, the time of consent, which
lets a refusal about a week later be explained (an OAuth client left in "Testing" status).
google-auth ignores a file's own ``token_uri``; the account's override is applied here.
"""

from __future__ import annotations

import json
import os
import sys
import webbrowser
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials

from connectors.base import Env
from connectors.errors import AuthExpired
from connectors.files import read_json, write_private
from connectors.google.credentials import RefreshingCredentials
from connectors.settings import GoogleAccount

SCOPE_ROOT = "https://www.googleapis.com/auth/"
GMAIL_METADATA = SCOPE_ROOT + "gmail.metadata"
GMAIL_SEND = SCOPE_ROOT + "gmail.send"
CALENDAR_READONLY = SCOPE_ROOT + "calendar.readonly"

TESTING_HINT = (
    "The sign-in is about 7 days old: the likely cause is an OAuth client left in "
    '"Testing" publishing status, whose refresh tokens expire after 7 days. In Google Cloud '
    'console, open "Google Auth Platform" > "Audience", press "Publish app", then run '
    "`keepwarm auth {name}` once more."
)


def scopes(account: GoogleAccount) -> list[str]:
    """Least privilege: metadata and read-only calendar; sending only when asked for."""
    wanted = [GMAIL_METADATA, CALENDAR_READONLY]
    return [*wanted, GMAIL_SEND] if account.send else wanted


def token_path(account: GoogleAccount, env: Env) -> Path:
    """Where this account's token file lives."""
    return env.state_dir / "tokens" / f"{account.name}.json"


def granted_scopes(account: GoogleAccount, env: Env) -> set[str] | None:
    """Scopes of the account's last consent, from its token file, without Google's URL root
    (``gmail.metadata``); empty: not recorded. None when there is no readable token file."""
    data = read_json(token_path(account, env))
    if data is None:
        return None
    raw = data.get("scopes") or []
    return {str(s).removeprefix(SCOPE_ROOT) for s in (raw.split() if isinstance(raw, str) else raw)}


def save(creds: Credentials, path: Path, obtained_at: str) -> None:
    """Persist credentials plus the time of consent."""
    info = json.loads(creds.to_json())
    info["obtained_at"] = obtained_at
    write_private(path, json.dumps(info, indent=1))


def reauth(account: GoogleAccount, message: str, age: timedelta | None = None) -> AuthExpired:
    """The AuthExpired for this account, explaining a ~7-day-old sign-in."""
    hint = f"keepwarm auth {account.name}"
    if age is not None and timedelta(days=6, hours=12) <= age <= timedelta(days=14):
        hint += ". " + TESTING_HINT.format(name=account.name)
    return AuthExpired(message, hint=hint)


class TokenStore:
    """Loads this account's credentials and writes them back when google-auth refreshed them."""

    def __init__(self, account: GoogleAccount, env: Env) -> None:
        self.account = account
        self.env = env
        self.path = token_path(account, env)
        self.obtained_at = ""
        self._saved_token: str | None = None

    def load(self) -> Credentials:
        """The credentials, with the account's ``token_uri`` override applied."""
        try:
            info: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
            creds = RefreshingCredentials.from_authorized_user_info(info)
        except FileNotFoundError:
            raise reauth(self.account, f"account {self.account.name!r} is not signed in") from None
        except (ValueError, OSError) as exc:
            raise reauth(self.account, f"unreadable token file: {type(exc).__name__}") from None
        self.obtained_at = str(info.get("obtained_at") or "")
        self._saved_token = creds.token
        if self.account.token_uri:
            creds = creds.with_token_uri(self.account.token_uri)
        return creds

    def save_if_refreshed(self, creds: Credentials) -> None:
        """Write the token file back when google-auth refreshed the access token."""
        if creds.token and creds.token != self._saved_token:
            save(creds, self.path, self.obtained_at)
            self._saved_token = creds.token

    def age(self) -> timedelta | None:
        """How long ago consent was given, if the token file says."""
        try:
            when = datetime.fromisoformat(self.obtained_at)
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return self.env.clock()() - when

    def refused(self, exc: RefreshError) -> AuthExpired:
        """Translate a refused refresh (``invalid_grant`` and friends); never retried."""
        first = str(exc.args[0]) if exc.args else "refresh refused"
        code = first.split(":", 1)[0].strip() or "refresh refused"
        return reauth(self.account, f"Google refused the sign-in ({code})", self.age())


def _browser_available() -> bool:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def prompt(port: int) -> str:
    """What to print beside the consent URL, with the SSH line for headless servers."""
    return (
        "Open this URL in a browser and grant access:\n\n    {url}\n\n"
        "On a server without a browser, first forward the redirect port from your own "
        f"machine:\n    ssh -L {port}:localhost:{port} USER@THIS-SERVER\n"
        "then open the URL on your machine; the browser comes back to this process."
    )


def authorize(account: GoogleAccount, env: Env) -> None:
    """Run the installed-app flow (loopback redirect) and store the token file."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    if account.client_secrets is None:  # the settings refuse it for auth = "user"
        raise AuthExpired(f"account {account.name!r} names no client_secrets file",
                          hint="set client_secrets to your OAuth client file")
    flow = InstalledAppFlow.from_client_secrets_file(
        str(account.client_secrets.expanduser()), scopes=scopes(account)
    )
    if account.token_uri:
        flow.client_config["token_uri"] = account.token_uri
    creds = flow.run_local_server(
        host="localhost",
        bind_addr="127.0.0.1",
        port=account.auth_port,
        open_browser=_browser_available(),
        authorization_prompt_message=prompt(account.auth_port),
        prompt="consent",  # always hand out a refresh token, even on a repeated sign-in
    )
    store(account, env, creds)


def store(account: GoogleAccount, env: Env, creds: Credentials) -> None:
    """Check the granted scopes and write the token file."""
    granted = set(getattr(creds, "granted_scopes", None) or creds.scopes or [])
    missing = [s for s in scopes(account) if granted and s not in granted]
    if missing:
        names = ", ".join(s.rsplit("/", 1)[-1] for s in missing)
        raise AuthExpired(
            f"the consent screen did not grant: {names}",
            hint=f"run `keepwarm auth {account.name}` again and tick every box",
        )
    save(creds, token_path(account, env), env.clock()().isoformat())
