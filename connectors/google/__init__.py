"""Google accounts (``kind = "google"``): Gmail and Google Calendar through one OAuth sign-in.

Public entry points: ``build`` returns ``NAME/mail`` (Gmail, :mod:`.gmail`) and
``NAME/calendar`` (Google Calendar, :mod:`.gcal`) as the account enables them; ``authorize``
runs the installed-app OAuth flow for ``keepwarm auth NAME`` (:mod:`.auth`), which keeps the
token file at ``token_path`` (``tokens/NAME.json``, whose ``granted_scopes`` the doctor reports);
``send`` mails one message for ``[delivery] method = "gmail"`` (:mod:`.gmail_send`). The rest
of the room is theirs: :mod:`.session` and :mod:`.caller` (requests, quota via :mod:`.quota`,
batches via :mod:`.batch`), and the JSON-to-record translations ``gmail_records`` and
``gcal_records``.

An account with ``auth = "organisation"`` signs in through its Workspace's service account
instead (:mod:`.delegation`): ``authorize`` has nothing to do (``no_sign_in`` says why),
``token_path`` is the key file, and ``granted_scopes`` are the scopes its grants ask for.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from connectors.base import Env, Source
from connectors.google import auth, delegation, gmail_send
from connectors.google.delegation import key_problem, no_sign_in
from connectors.google.gcal import CalendarSource
from connectors.google.gmail import GmailSource
from connectors.settings import GoogleAccount

__all__ = ["CalendarSource", "GmailSource", "authorize", "build", "granted_scopes", "key_problem",
           "no_sign_in", "send", "token_path"]


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
    account has ``send = true``. Nothing to do for an organisation account (see ``no_sign_in``).
    """
    if not delegation.delegated(account):
        auth.authorize(account, env)


def token_path(account: GoogleAccount, env: Env) -> Path:
    """Where the account's sign-in is kept: its token file, or the service account's key."""
    if delegation.delegated(account) and account.service_account_file is not None:
        return account.service_account_file.expanduser()
    return auth.token_path(account, env)


def granted_scopes(account: GoogleAccount, env: Env) -> set[str] | None:
    """Scopes of the last consent (short names; None: not signed in). For an organisation
    account, the scopes each grant asks for: a token never holds more than it asks for,
    whatever else the admin delegated."""
    if delegation.delegated(account):
        return set(delegation.short(auth.scopes(account)))
    return auth.granted_scopes(account, env)


def send(account: GoogleAccount, env: Env, message: EmailMessage) -> None:
    """Send ``message`` through Gmail (needs ``send = true`` and the ``gmail.send`` consent)."""
    gmail_send.send(account, env, message)
