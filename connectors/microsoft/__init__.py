"""Microsoft accounts (``kind = "microsoft"``): Outlook mail and calendar through Microsoft
Graph, signed in with MSAL.

Public entry points: ``build`` returns the ``NAME/mail`` (:mod:`.graph_mail`) and
``NAME/calendar`` (:mod:`.graph_calendar`) sources; ``authorize`` runs the device-code sign-in
(:mod:`.auth`), which keeps MSAL's cache at ``token_path`` (``tokens/NAME.msal.json``, whose
``granted_scopes`` the doctor reports); ``send`` mails one message for ``[delivery] method =
"graph"`` (:mod:`.graph_send`). With ``auth = "organisation"`` the app signs in by itself
(:mod:`.app_auth`, client credentials) and reads ``/users/{address}``: no sign-in, no token
file, and ``granted_scopes`` are the application permissions its token carries. The rest of
the room is theirs: :mod:`.graph_http` (GET requests, the retry policy, four in flight),
:mod:`.folders` (which mail folders) and :mod:`.records` (Graph JSON to neutral values).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage

from connectors.base import Env, Source
from connectors.errors import ConnectorError
from connectors.microsoft import auth, graph_send, refusals
from connectors.microsoft.app_auth import AppSession, app_permissions, mailbox_path
from connectors.microsoft.auth import (
    MsalSession,
    device_code_sign_in,
    graph_root,
    reauth_hint,
    token_path,
)
from connectors.microsoft.graph_calendar import CalendarSource
from connectors.microsoft.graph_http import GraphHttp
from connectors.microsoft.graph_mail import MailSource
from connectors.settings import MicrosoftAccount

__all__ = ["CalendarSource", "MailSource", "authorize", "build", "granted_scopes", "send",
           "token_path"]


def build(account: MicrosoftAccount, env: Env, *,
          sleep: Callable[[float], None] | None = None) -> list[Source]:
    """The account's enabled streams. Both share one token session and one HTTP client, so
    the four-requests-per-mailbox limit holds across them. No network I/O happens here."""
    session = AppSession(account) if _app(account) else MsalSession(account, env)
    refused: Callable[[str, str], ConnectorError] | None = (
        (lambda code, message: refusals.mailbox_refused(account, code, message))
        if _app(account) else None)
    http = GraphHttp(graph_root(account), session.token, hint=reauth_hint(account),
                     sleep=sleep if sleep is not None else time.sleep,
                     mailbox=mailbox_path(account), refused=refused,
                     gate=env.gate(f"graph:{account.tenant}:{account.client_id}"))
    sources: list[Source] = []
    if account.mail:
        sources.append(MailSource(f"{account.name}/mail", http))
    if account.calendar:
        sources.append(CalendarSource(
            f"{account.name}/calendar", http, lookback_days=account.lookback_days,
            now=env.clock(), me=lambda: {a for a in (account.address, session.username) if a}))
    return sources


def authorize(account: MicrosoftAccount, env: Env,
              show: Callable[[str], None] = print) -> None:
    """``keepwarm auth NAME``: device-code sign-in (prints the URL and the code to enter),
    then saves MSAL's token cache under the state directory (mode 0600). An organisation's
    account needs none: this only says so."""
    if _app(account):
        show(f"account {account.name}: no per-person sign-in is needed; the organisation's app "
             f"{account.client_id} reads {account.address} with its own credential "
             f"(application permissions {', '.join(app_permissions(account))}); "
             "`keepwarm doctor` checks it")
        return
    device_code_sign_in(account, env, show)


def granted_scopes(account: MicrosoftAccount, env: Env) -> set[str] | None:
    """The scopes of the account's last consent (lower case, from its token file; None: not
    signed in). For an organisation's app: the application permissions its token carries,
    asked from the token endpoint (raises the credential's refusal)."""
    if _app(account):
        return AppSession(account).roles()
    return auth.granted_scopes(account, env)


def _app(account: MicrosoftAccount) -> bool:
    return account.auth == "organisation"


def send(account: MicrosoftAccount, env: Env, message: EmailMessage) -> None:
    """Send ``message`` through Graph (needs ``send = true`` and the ``Mail.Send`` consent)."""
    graph_send.send(account, env, message)
