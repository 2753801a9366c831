"""Sending one message through Microsoft Graph (``POST /me/sendMail`` with the MIME message,
base64-encoded, as a ``text/plain`` body) for an account that opted in with ``send = true``
and granted ``Mail.Send``; an organisation's app posts to ``/users/{address}/sendMail`` and
needs the ``Mail.Send`` application permission.

Tokens come from the account's MSAL cache (:class:`~connectors.microsoft.auth.MsalSession`).
Throttling (429/503 with Retry-After) and failures to connect go through the one retry policy
(:mod:`connectors.retry`). Failures after the request may have reached Graph (read timeouts,
other 5xx) are not retried here: a second attempt could send the summary twice. Nothing
here logs the message, its subject or its recipients.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from email.message import EmailMessage

import httpx

from connectors import retry
from connectors.base import Env
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    SourceUnavailable,
    Throttled,
    Transient,
    Unauthorized,
)
from connectors.microsoft.app_auth import AppSession, mailbox_path
from connectors.microsoft.auth import MsalSession, granted_scopes, graph_root, reauth_hint
from connectors.microsoft.graph_http import graph_error, refreshing, retry_after
from connectors.settings import MicrosoftAccount

log = logging.getLogger(__name__)

MAIL_SEND = "Mail.Send"
_THROTTLED = {429, 503}


def opt_in_hint(account: MicrosoftAccount) -> str:
    """How a person turns sending on for ``account``."""
    if account.auth == "organisation":
        return (f"set send = true on account {account.name!r} in the config, and have an "
                f"administrator grant app {account.client_id} the Mail.Send application "
                "permission (admin consent)")
    return (f"set send = true on account {account.name!r} in the config, then run "
            f"`keepwarm auth {account.name}` and consent to sending mail")


def check_opt_in(account: MicrosoftAccount, env: Env) -> None:
    """Refuse unless the account opted in and its consent (when known) includes Mail.Send."""
    if not account.send:
        raise ConnectorError(f"account {account.name!r} is not allowed to send mail "
                             "(send = false)", hint=opt_in_hint(account))
    scopes = granted_scopes(account, env)
    if scopes and MAIL_SEND.lower() not in scopes:  # None or empty: not known
        raise ConnectorError(f"account {account.name!r} has not granted the Mail.Send "
                             "permission", hint=opt_in_hint(account))


def mime_body(message: EmailMessage) -> bytes:
    """The message in canonical form (CRLF line ends), base64 as Graph wants it."""
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    return base64.b64encode(data)


def send(account: MicrosoftAccount, env: Env, message: EmailMessage, *,
         sleep: Callable[[float], None] = time.sleep, attempts: int = 8,
         transport: httpx.BaseTransport | None = None) -> None:
    """Send ``message`` as the signed-in user (Graph keeps a copy in Sent Items).

    Raises ``ConnectorError`` (with the opt-in hint) when sending is not allowed,
    ``AuthExpired`` when the sign-in is refused, ``SourceUnavailable`` when Graph stays
    busy or unreachable, or when the outcome of a request is unknown.
    """
    check_opt_in(account, env)
    session = AppSession(account) if account.auth == "organisation" else MsalSession(account, env)

    def token(force: bool) -> str:
        try:
            return session.token(force)
        except AuthExpired as exc:
            raise AuthExpired(f"no token that may send mail: {exc}",
                              hint=opt_in_hint(account)) from None

    url = graph_root(account) + mailbox_path(account) + "/sendMail"
    body = mime_body(message)
    with httpx.Client(timeout=httpx.Timeout(60.0, connect=20.0), transport=transport) as client:
        def run(force: bool) -> None:
            forced = [force]

            def once() -> None:
                access = token(forced[0])
                forced[0] = False
                _post(client, url, access, body, account)

            retry.call(once, attempts=attempts, sleep=sleep)

        refreshing(run, reauth_hint(account))
    log.info("%s: message sent through Graph", account.name)


def _post(client: httpx.Client, url: str, token: str, body: bytes,
          account: MicrosoftAccount) -> None:
    try:
        resp = client.post(url, content=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "text/plain"})
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise Transient(type(exc).__name__) from exc  # it never reached Graph
    except httpx.TransportError as exc:
        raise SourceUnavailable(f"Graph did not answer ({type(exc).__name__}); the message "
                                "may or may not have been sent",
                                hint="look in Sent Items before sending again") from exc
    _check(resp, account)


def _check(resp: httpx.Response, account: MicrosoftAccount) -> None:
    status = resp.status_code
    if status in (200, 202):
        return
    code, message = graph_error(resp)
    if status in _THROTTLED:
        raise Throttled(f"Graph {status} {code}",
                        retry_after=retry_after(resp.headers.get("Retry-After")))
    if status == 401:
        raise Unauthorized(code)
    if status == 403:
        raise ConnectorError(f"Graph refused to send for account {account.name!r} ({code}): "
                             "the sign-in may lack the Mail.Send permission",
                             hint=opt_in_hint(account))
    if status >= 500:
        raise SourceUnavailable(f"Graph {status} {code} while sending; the message may or may "
                                "not have been sent", hint="look in Sent Items before resending")
    raise ConnectorError(f"Graph refused the message: {status} {code}: {message}",
                         hint="see the log; the summary is tried again on the next tick")
