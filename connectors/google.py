"""Google accounts (``kind = "google"``): the mail and calendar sources, and sign-in.

``build`` returns ``NAME/mail`` (Gmail, :mod:`connectors.gmail`) and ``NAME/calendar``
(Google Calendar, :mod:`connectors.gcal`) as the account enables them; ``authorize`` runs
the installed-app OAuth flow for ``keepwarm auth NAME`` (:mod:`connectors._google_auth`);
``send`` mails one message for ``[delivery] method = "gmail"`` (:mod:`connectors.gmail_send`).
"""

from __future__ import annotations

from email.message import EmailMessage

from connectors import _google_auth, gmail_send
from connectors.base import Env, Source
from connectors.gcal import CalendarSource
from connectors.gmail import GmailSource
from connectors.settings import GoogleAccount

__all__ = ["CalendarSource", "GmailSource", "authorize", "build", "send"]


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
    _google_auth.authorize(account, env)


def send(account: GoogleAccount, env: Env, message: EmailMessage) -> None:
    """Send ``message`` through Gmail (needs ``send = true`` and the ``gmail.send`` consent)."""
    gmail_send.send(account, env, message)
