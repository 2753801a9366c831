"""Microsoft accounts (``kind = "microsoft"``): Outlook mail and calendar through Microsoft
Graph, signed in with MSAL.

Public entry points: ``build`` returns the ``NAME/mail`` (:mod:`.graph_mail`) and
``NAME/calendar`` (:mod:`.graph_calendar`) sources; ``authorize`` runs the device-code sign-in
(:mod:`.auth`), which keeps MSAL's cache at ``token_path`` (``tokens/NAME.msal.json``, whose
``granted_scopes`` the doctor reports); ``send`` mails one message for ``[delivery] method =
"graph"`` (:mod:`.graph_send`). The rest of the room is theirs: :mod:`.graph_http` (GET
requests, the retry policy, four in flight), :mod:`.folders` (which mail folders) and
:mod:`.records` (Graph JSON to neutral values).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage

from connectors.base import Env, Source
from connectors.microsoft import graph_send
from connectors.microsoft.auth import (
    MsalSession,
    device_code_sign_in,
    granted_scopes,
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
    session = MsalSession(account, env)
    http = GraphHttp(graph_root(account), session.token, hint=reauth_hint(account),
                     sleep=sleep if sleep is not None else time.sleep,
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
    then saves MSAL's token cache under the state directory (mode 0600)."""
    device_code_sign_in(account, env, show)


def send(account: MicrosoftAccount, env: Env, message: EmailMessage) -> None:
    """Send ``message`` through Graph (needs ``send = true`` and the ``Mail.Send`` consent)."""
    graph_send.send(account, env, message)
