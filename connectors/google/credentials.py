"""Google OAuth credentials that refresh on our terms.

google-auth refreshes an access token once it is within 3 min 45 s of expiry, whatever its
lifetime: a token that lives less than that is refreshed before every request. Here the
margin is ``connectors.retry.refresh_margin`` of the token's lifetime.

google-auth also retries a busy token endpoint (500, 503, 504, 408, 429) with real sleeps,
and reports any other failure, a 502 included, as a refusal that looks like a revoked
sign-in. Here the first transient answer raises :class:`TokenEndpointBusy`, naming the HTTP
status, for the connectors' one retry policy to handle. Both hold for a user's sign-in
(:class:`RefreshingCredentials`) and for a service account acting for a Workspace member
(:class:`DelegatedCredentials`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from google.auth import _helpers
from google.auth.exceptions import TransportError
from google.oauth2 import service_account
from google.oauth2.credentials import Credentials

from connectors.retry import refresh_margin

TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})


class TokenEndpointBusy(TransportError):  # type: ignore[misc]
    """The token endpoint answered with a transient HTTP status (or timed out)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status} from Google's token endpoint")
        self.status = status


class _OurRefresh:
    """The refresh margin and the transient answers, for any google-auth credentials class."""

    expiry: Any
    _lifetime: timedelta | None = None  # of the access token last obtained here

    @property
    def expired(self) -> bool:
        """Whether the token is within the refresh margin of its expiry."""
        if not self.expiry:
            return False
        life = None if self._lifetime is None else self._lifetime.total_seconds()
        return bool(_helpers.utcnow() >= self.expiry - timedelta(seconds=refresh_margin(life)))

    def refresh(self, request: Any) -> None:
        """Refresh through ``request``, stopping at the first transient answer."""

        def once(*args: Any, **kwargs: Any) -> Any:
            response = request(*args, **kwargs)
            if response.status in TRANSIENT:
                raise TokenEndpointBusy(response.status)
            return response

        super().refresh(once)  # type: ignore[misc]
        if self.expiry is not None:
            self._lifetime = self.expiry - _helpers.utcnow()


class RefreshingCredentials(_OurRefresh, Credentials):  # type: ignore[misc]
    """``Credentials`` with a lifetime-aware refresh margin and transient endpoint errors."""


class DelegatedCredentials(_OurRefresh, service_account.Credentials):  # type: ignore[misc]
    """A service account's credentials (JWT-bearer grant, ``sub`` = the member impersonated),
    with the same refresh margin and transient endpoint errors."""
