"""Google accounts (``kind = "google"``): Gmail and Google Calendar through one OAuth sign-in.

Public entry points: ``build`` returns ``NAME/mail`` (Gmail, :mod:`.gmail`) and
``NAME/calendar`` (Google Calendar, :mod:`.gcal`) as the account enables them; ``authorize``
runs the installed-app OAuth flow for ``keepwarm auth NAME`` (:mod:`.auth`), which keeps the
token file at ``token_path`` (``tokens/NAME.json``, whose ``granted_scopes`` the doctor reports);
``send`` mails one message for ``[delivery] method = "gmail"`` (:mod:`.gmail_send`). The rest
of the room is theirs: :mod:`.session` and :mod:`.caller` (requests, quota via :mod:`.quota`,
batches via :mod:`.batch`), and the JSON-to-record translations ``gmail_records`` and
``gcal_records``.
"""

from __future__ import annotations

from email.message import EmailMessage

from connectors.base import Env, Source
from connectors.google import auth, gmail_send
from connectors.google.auth import granted_scopes, token_path
from connectors.google.gcal import CalendarSource
from connectors.google.gmail import GmailSource
from connectors.settings import GoogleAccount

__all__ = ["CalendarSource", "GmailSource", "authorize", "build", "granted_scopes", "send",
           "token_path"]


def build(account: GoogleAccount, env: Env) -> list[Source]:
    """The enabled sources of one Google account (nothing touches the network yet)."""
    sources: list[Source] = []
    if account.mail:
        sources.append(GmailSource(account, env))
    if account.calendar:
        sources.append(CalendarSource(account, env))
    return sources


def authorize(account: GoogleAccount, env: Env) -> None:
    """Sign in interactively (browser or printed URL) and store the account's token file.

    Scopes: ``gmail.metadata`` and ``calendar.readonly``, plus ``gmail.send`` only when the
    account has ``send = true``.
    """
    auth.authorize(account, env)


def send(account: GoogleAccount, env: Env, message: EmailMessage) -> None:
    """Send ``message`` through Gmail (needs ``send = true`` and the ``gmail.send`` consent)."""
    gmail_send.send(account, env, message)
