"""What a refused Microsoft sign-in means and what fixes it, read from MSAL's error result.

Most refusals (revoked consent, a changed password) are fixed by signing in again. One is
not: AADSTS7000218, Entra ID asking for a client secret because the app registration has
"Allow public client flows" off. Keepwarm is a public client (device code, no secret), so
only that setting helps; signing in again fails the same way.

With ``auth = "organisation"`` (client credentials) there is no sign-in to repeat: a refused
app credential names the tenant and the client id, and a refused mailbox names the application
access policy that leaves it out (:class:`~connectors.errors.MailboxRefused`).
"""

from __future__ import annotations

from typing import Any

from connectors.errors import AuthExpired, ConnectorError, MailboxRefused
from connectors.settings import MicrosoftAccount

PUBLIC_CLIENT_CODE = 7000218
PUBLIC_CLIENT_SETTING = ("Azure portal > App registrations > your app > Authentication > "
                         "Advanced settings > Allow public client flows = Yes")


class AppRegistrationRefused(ConnectorError):
    """Sign-in refused because of the app registration, not the sign-in: never retried, yet
    not AuthExpired either (``needs_reauth`` would send the user to `keepwarm auth`, which
    fails the same way); the account's status is ``error`` with the setting to change."""


def reauth_hint(account: MicrosoftAccount) -> str:
    """The fix of a refusal that a new sign-in cures (an organisation's app has none)."""
    if account.auth == "organisation":
        return (f"the token of app {account.client_id} was refused: check its credential and "
                "the administrator's consent to its application permissions (keepwarm doctor)")
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


# ---- organisation-wide sign-in (auth = "organisation", client credentials) ------------------

# AADSTS codes of a refused app credential -> what is wrong (learn.microsoft.com, "Microsoft
# Entra authentication and authorization error codes").
APP_CREDENTIAL_CODES = {
    7000215: "the client secret is wrong (its Value is needed, not its Secret ID)",
    7000222: "the client secret has expired",
    700027: "the certificate is not one uploaded to the app registration",
    700016: "no such application in this tenant",
    90002: "no such tenant",
    7000216: "no client secret or certificate was sent",
}


def tenant_of(authority: str) -> str:
    """The tenant segment of an authority URL."""
    return authority.rstrip("/").rsplit("/", 1)[-1]


def app_refused(account: MicrosoftAccount, authority: str, result: dict[str, Any] | None
                ) -> AppRegistrationRefused:
    """The error for a refused client-credentials request: names the tenant and the client
    id, since the whole organisation shares that credential; never retried."""
    codes = (result or {}).get("error_codes")
    why = next((APP_CREDENTIAL_CODES[c] for c in codes or () if c in APP_CREDENTIAL_CODES),
               None) if isinstance(codes, list) else None
    source = (account.client_secret_env and f"environment variable {account.client_secret_env}"
              or account.client_secret_file or account.client_certificate_file)
    tenant = tenant_of(authority)
    message = (f"{account.name}: tenant {tenant} refused the credential of app "
               f"{account.client_id} ({first_line(result)})")
    hint = (f"{why}: fix {source}, or make a new one under Azure portal > App registrations > "
            f"{account.client_id} > Certificates & secrets" if why else
            f"check tenant and client_id, the credential in {source}, and that an administrator "
            "granted admin consent to the application permissions")
    return AppRegistrationRefused(message, hint=hint)


def mailbox_refused(account: MicrosoftAccount, code: str, message: str) -> MailboxRefused:
    """The error for a 403 on one member's mailbox under the app: an application access
    policy leaving the mailbox out ("Access to OData is disabled."), or a permission the
    administrator has not granted the app. Only the administrator can fix either."""
    who, app = account.address, account.client_id
    text = f"{account.name}: Graph refused app {app} access to mailbox {who} ({code}: {message})"
    if code == "ErrorInvalidUser":
        return MailboxRefused(text, hint=f"check address: the tenant has no mailbox {who} (a "
                              "user without an Exchange Online licence has none)",
                              administrator=False)
    if "odata" in message.lower():
        return MailboxRefused(text, hint=(
            f"the application access policy leaves {who} out: add {who} to the mail-enabled "
            f"security group of New-ApplicationAccessPolicy -AppId {app} -PolicyScopeGroupId "
            f"<group> -AccessRight RestrictAccess, check with Test-ApplicationAccessPolicy "
            f"-Identity {who} -AppId {app} (changes can take an hour to reach Graph)"))
    return MailboxRefused(text, hint=(
        f"grant app {app} the application permissions Mail.ReadBasic.All and "
        f"Calendars.ReadBasic.All (Mail.Send with send = true) with admin consent, and check "
        f"Test-ApplicationAccessPolicy -Identity {who} -AppId {app}"))
