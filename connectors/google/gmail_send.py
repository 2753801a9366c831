"""Sending one message through Gmail (``users.messages.send``) for a Google account that
opted in with ``send = true`` and granted the ``gmail.send`` scope.

The request goes through the account's :class:`~connectors.google.session.GoogleSession`:
the same token file, endpoint override and :class:`~connectors.google.caller.Caller` (one
retry policy, Retry-After honoured) as the sync streams. Nothing here logs the message, its
subject, its recipients or its id.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from googleapiclient.errors import HttpError

from connectors.base import Env
from connectors.errors import AuthExpired, ConnectorError
from connectors.google.auth import GMAIL_SEND
from connectors.google.caller import reasons
from connectors.google.delegation import tokens_for
from connectors.google.session import GoogleSession
from connectors.settings import GoogleAccount

log = logging.getLogger(__name__)

# What Gmail answers when the access token lacks the scope (a consent without "send").
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})


def opt_in_hint(account: GoogleAccount) -> str:
    """How a person turns sending on for ``account``."""
    if account.auth == "organisation":
        return (f"set send = true on account {account.name!r} in the config, and have a "
                "Workspace admin add the gmail.send scope to the service account's domain-wide "
                "delegation")
    return (f"set send = true on account {account.name!r} in the config, then run "
            f"`keepwarm auth {account.name}` and grant the permission to send mail")


def check_opt_in(account: GoogleAccount, scopes: list[str] | None) -> None:
    """Refuse unless the account opted in and its stored consent includes ``gmail.send``."""
    if not account.send:
        raise ConnectorError(f"account {account.name!r} is not allowed to send mail "
                             "(send = false)", hint=opt_in_hint(account))
    if GMAIL_SEND not in (scopes or []):
        raise ConnectorError(f"account {account.name!r} has not granted the gmail.send "
                             "permission", hint=opt_in_hint(account))


def raw(message: EmailMessage) -> str:
    """The message as Gmail's ``raw`` field: RFC 822 bytes (CRLF), base64url."""
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    return base64.urlsafe_b64encode(data).decode("ascii")


def send(account: GoogleAccount, env: Env, message: EmailMessage, *,
         sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Send ``message`` as the account's user; returns Gmail's answer (id, threadId, labels).

    Raises ``ConnectorError`` (with the opt-in hint) when sending is not allowed,
    ``AuthExpired`` when the credentials are refused, ``SourceUnavailable`` when Gmail stays
    busy or unreachable through the whole retry budget.
    """
    check_opt_in(account, tokens_for(account, env).load().scopes)
    session = GoogleSession(account, env, sleep=sleep)
    try:
        users = session.service("gmail").users()
        request = users.messages().send(userId="me", body={"raw": raw(message)})
        try:
            answer = session.caller.execute(request, "messages.send", passthrough=(403,))
        except HttpError as err:  # a 403 that is not a rate limit
            raise _refused(account, err) from None
    finally:
        session.close()
    log.info("%s: message sent through Gmail", account.name)
    return dict(answer or {})


def _refused(account: GoogleAccount, err: HttpError) -> ConnectorError:
    if reasons(err) & SCOPE_REASONS or b"ACCESS_TOKEN_SCOPE_INSUFFICIENT" in (err.content or b""):
        return ConnectorError(f"Gmail refused to send for account {account.name!r}: the "
                              "sign-in lacks the gmail.send permission", hint=opt_in_hint(account))
    return AuthExpired(f"Gmail refused to send for account {account.name!r} (HTTP 403)",
                       hint=f"keepwarm auth {account.name}")
