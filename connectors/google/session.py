"""One source's connection to Google: credentials, services, endpoints and its Caller.

Each source owns its own session (httplib2 is not thread-safe, and sources may sync in
parallel). ``api_endpoint`` replaces Google's roots for both APIs *and* for batches, which
the client library would otherwise still post to Google.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from googleapiclient.discovery import build

from connectors.base import Env
from connectors.google.caller import Caller
from connectors.google.delegation import DelegatedTokens, tokens_for
from connectors.google.quota import QuotaLimiter
from connectors.settings import GoogleAccount

for _name in ("googleapiclient", "google_auth_httplib2", "google.auth", "urllib3", "httplib2"):
    logging.getLogger(_name).setLevel(logging.WARNING)

GMAIL_BATCH = "https://gmail.googleapis.com/batch/gmail/v1"


@dataclass(frozen=True)
class Endpoints:
    """Client-options endpoints for each API (None: Google's) and Gmail's batch URI."""

    gmail: str | None
    calendar: str | None
    batch: str


def endpoints(account: GoogleAccount) -> Endpoints:
    """The endpoints of an account. An override is a root serving ``gmail/v1/...``,
    ``calendar/v3/...`` and ``batch/gmail/v1`` (as ``https://www.googleapis.com/`` does)."""
    if not account.api_endpoint:
        return Endpoints(None, None, GMAIL_BATCH)
    root = account.api_endpoint.rstrip("/") + "/"
    return Endpoints(root, root + "calendar/v3/", root + "batch/gmail/v1")


class GoogleSession:
    """Lazily signed-in access to Gmail or Calendar for one source."""

    def __init__(
        self,
        account: GoogleAccount,
        env: Env,
        *,
        limiter: QuotaLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.env = env
        self.endpoints = endpoints(account)
        self.tokens = tokens_for(account, env)
        hint = (self.tokens.delegation_hint() if isinstance(self.tokens, DelegatedTokens)
                else f"keepwarm auth {account.name}")
        self.caller = Caller(name=account.name, limiter=limiter, sleep=sleep,
                             on_auth_error=self.tokens.refused, auth_hint=hint)
        self._creds: Any = None

    def _credentials(self) -> Any:
        if self._creds is None:
            self._creds = self.tokens.load()
        return self._creds

    def service(self, api: str) -> Any:
        """A client for ``gmail`` or ``calendar`` from the bundled discovery document."""
        version, endpoint = {
            "gmail": ("v1", self.endpoints.gmail),
            "calendar": ("v3", self.endpoints.calendar),
        }[api]
        options = {"api_endpoint": endpoint} if endpoint else None
        return build(
            api,
            version,
            credentials=self._credentials(),
            static_discovery=True,
            cache_discovery=False,
            client_options=options,
        )

    def close(self) -> None:
        """Persist a refreshed access token (the refresh token never changes here; a
        service account's tokens are never written)."""
        if self._creds is not None:
            self.tokens.save_if_refreshed(self._creds)
