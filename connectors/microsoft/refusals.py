"""What a refused Microsoft sign-in means and what fixes it, read from MSAL's error result.

Most refusals (revoked consent, a changed password) are fixed by signing in again. One is
not: AADSTS7000218, Entra ID asking for a client secret because the app registration has
"Allow public client flows" off. Keepwarm is a public client (device code, no secret), so
only that setting helps; signing in again fails the same way.
"""

from __future__ import annotations

from typing import Any

from connectors.errors import AuthExpired, ConnectorError
from connectors.settings import MicrosoftAccount

PUBLIC_CLIENT_CODE = 7000218
PUBLIC_CLIENT_SETTING = ("Azure portal > App registrations > your app > Authentication > "
                         "Advanced settings > Allow public client flows = Yes")


class AppRegistrationRefused(ConnectorError):
    """Sign-in refused because of the app registration, not the sign-in: never retried, yet
    not AuthExpired either (``needs_reauth`` would send the user to `keepwarm auth`, which
    fails the same way); the account's status is ``error`` with the setting to change."""


def reauth_hint(account: MicrosoftAccount) -> str:
    """The fix of a refusal that a new sign-in cures."""
    return f"run `keepwarm auth {account.name}` to sign in again"


def public_client_off(result: dict[str, Any] | None) -> bool:
    """Whether MSAL's error ``result`` is AADSTS7000218 (public client flows are off)."""
    result = result or {}
    codes = result.get("error_codes")
    described = str(result.get("error_description") or "")
    return (isinstance(codes, list) and PUBLIC_CLIENT_CODE in codes) or \
        described.startswith(f"AADSTS{PUBLIC_CLIENT_CODE}:")


def first_line(result: dict[str, Any] | None) -> str:
    """``error: description`` of an MSAL error, its first line only (trace and correlation
    ids and a timestamp follow on the next lines)."""
    result = result or {}
    lines = str(result.get("error_description") or "").strip().splitlines()
    error = str(result.get("error") or "unknown_error")
    return f"{error}: {lines[0]}" if lines else error


def sign_in_refused(account: MicrosoftAccount, result: dict[str, Any] | None
                    ) -> ConnectorError:
    """The error for a refused device-code sign-in (``keepwarm auth NAME``)."""
    message = f"sign-in failed: {first_line(result)}"
    if public_client_off(result):
        return AppRegistrationRefused(message, hint=f"set {PUBLIC_CLIENT_SETTING}, then run "
                                                    f"`keepwarm auth {account.name}` again")
    return AuthExpired(message, hint=reauth_hint(account))


def refresh_refused(account: MicrosoftAccount, result: dict[str, Any] | None
                    ) -> ConnectorError:
    """The error for a refused silent refresh (every sync)."""
    error = str((result or {}).get("error", "no_cached_token"))
    if public_client_off(result):
        return AppRegistrationRefused(
            f"{account.name}: sign-in refused ({first_line(result)})",
            hint=f"set {PUBLIC_CLIENT_SETTING}; the saved sign-in works again then, no new "
                 "sign-in needed")
    return AuthExpired(f"{account.name}: sign-in expired ({error})", hint=reauth_hint(account))
