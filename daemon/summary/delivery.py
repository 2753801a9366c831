"""Deliver one summary message the way ``[delivery]`` says: smtp, file, gmail or graph.

The message is sent as :mod:`daemon.summary.message` composed it: its From, To and
Message-ID are that module's, and nothing here rewrites a header (the SMTP envelope comes from
``[delivery]``, see :mod:`daemon.summary.smtp`). Transient failures (connection refused,
timeouts, 4xx SMTP replies) of smtp and file delivery are retried with exponential backoff
(tenacity); gmail and graph sends retry inside their connector (``connectors.retry``), so they
are called once here. Anything else (bad password, 5xx, a missing setting) fails at once with a
``DeliveryError`` that says what the server said and how to fix it (``transient`` tells the
ledger whether to retry this week). Exactly once is the ledger's job (:mod:`daemon.summary.claims`);
the week's fixed Message-ID is only the last line of defence.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import tenacity

import connectors
from connectors.base import Env
from connectors.errors import ConnectorError, SourceUnavailable
from daemon.clock import now_utc
from daemon.config import Config, DeliverySettings
from daemon.errors import DeliveryError
from daemon.paths import write_atomic
from daemon.summary.due import describe as describe  # re-exported: where a summary goes
from daemon.summary.smtp import send_smtp

log = logging.getLogger(__name__)


def problems(config: Config) -> list[str]:
    """What is missing in ``[delivery]`` for its method (empty: complete)."""
    d = config.delivery
    needs = {"smtp": ("to", "host"), "file": ("folder",), "gmail": ("to", "account"),
             "graph": ("to", "account")}.get(d.method, ())
    found = [f"delivery.{key} is required for method = {d.method!r}"
             for key in needs if getattr(d, key) in (None, "")]
    kind = connectors.send_kind(d.method)
    if kind and d.account:
        acc = config.account(d.account)
        if acc is None:
            found.append(f"delivery.account {d.account!r} is not a configured account")
        elif acc.kind != kind:
            found.append(f"delivery.account {d.account!r} is a {acc.kind} account, "
                         f"method {d.method!r} needs a {kind} one")
        elif not getattr(acc, "send", False):
            found.append(f"account {d.account!r} needs send = true (and `keepwarm auth "
                         f"{d.account}` again to grant the send permission)")
    return found


def deliver(message: EmailMessage, config: Config, env: Env, *, week: str | None = None,
            sleep: Callable[[float], None] = time.sleep, attempts: int = 4) -> str | None:
    """Send ``message`` (the summary of ``week``; None: a manual extra) with retries, headers
    untouched.

    Returns its Message-ID (stored in the ledger, never logged)."""
    found = problems(config)
    if found:
        raise DeliveryError("; ".join(found), hint="fix [delivery] in the config file")
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(_transient),
        wait=tenacity.wait_exponential(multiplier=2, max=60) + tenacity.wait_random(0, 1),
        stop=tenacity.stop_after_attempt(attempts), sleep=sleep, reraise=True,
        before_sleep=lambda s: log.warning("delivery attempt %d failed, retrying: %s",
                                           s.attempt_number, _short(s)))
    try:
        _sender(config, env, week, retrying)(message)
    except DeliveryError:
        raise
    except ConnectorError as exc:  # from a connector's send(): AuthExpired names its fix
        raise DeliveryError(f"delivery failed: {exc}", hint=exc.hint,
                            transient=isinstance(exc, SourceUnavailable)) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise _explained(exc, config) from None
    return str(message["Message-ID"])


def _explained(exc: BaseException, config: Config) -> DeliveryError:
    """A delivery failure as a person reads it: what the server said, and whether retrying
    can help (a permanent one names what to fix before ``keepwarm send-summary``)."""
    d = config.delivery
    if _transient(exc):
        said = _server_said(exc)
        what = (f"SMTP server {d.host} answered {said}" if said else
                f"cannot deliver to {_where(config)}: {type(exc).__name__}")
        return DeliveryError(what, transient=True,
                             hint=f"keepwarm run retries every {RETRY_MINUTES} minutes this "
                                  "week; or run keepwarm send-summary again later")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(f"SMTP login refused: {_server_said(exc)}",
                             hint=f"{RESEND_HINT.format('delivery.user and the password')}")
    said = _server_said(exc)
    if said:
        return DeliveryError(f"SMTP server {d.host} refused the summary: {said}",
                             hint=RESEND_HINT.format("[delivery] to, sender and the server"))
    return DeliveryError(f"delivery failed: {type(exc).__name__}: {_first(str(exc))}",
                         hint=RESEND_HINT.format("[delivery]"))


RETRY_MINUTES = 10
RESEND_HINT = "no more attempts this week: fix {}, then run keepwarm send-summary"


def _server_said(exc: BaseException) -> str:
    """``550 5.1.1 mailbox unavailable``: an SMTP reply's code and first line, short."""
    text: bytes | str
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code, text = next(iter(exc.recipients.values()))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, text = exc.smtp_code, exc.smtp_error
    else:
        return ""
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {_first(raw)}"


def _first(text: str, limit: int = 120) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _where(config: Config) -> str:
    d = config.delivery
    return f"{d.host}:{d.smtp_port}" if d.method == "smtp" else str(d.folder or d.method)


class Stopped(DeliveryError):
    """Keepwarm is stopping: raised by the daemon's sleep between two attempts."""

    def __init__(self) -> None:
        super().__init__("keepwarm stopped before the summary was sent", transient=True,
                         hint="it is retried at the next start")


def _short(state: tenacity.RetryCallState) -> str:
    exc = state.outcome.exception() if state.outcome else None
    return (_server_said(exc) or f"{type(exc).__name__}: {_first(str(exc))}") if exc else "?"


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, DeliveryError):
        return exc.transient
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError | PermissionError)


def _sender(config: Config, env: Env, week: str | None,
            retrying: tenacity.Retrying) -> Callable[[EmailMessage], None]:
    d = config.delivery
    if d.method == "smtp":
        return lambda m: retrying(send_smtp, m, d)
    if d.method == "file":
        return lambda m: retrying(write_eml, m, d, week)
    if connectors.send_kind(d.method):  # the connector's send retries by itself
        return _connector_sender(config, env)
    raise DeliveryError(f"delivery.method = {d.method!r} sends nothing",
                        hint='set [delivery] method = "smtp", "file", "gmail" or "graph"')


def eml_path(settings: DeliverySettings, week: str | None) -> Path:
    """One file per week (a resend replaces it); a manual send gets a timestamped name."""
    assert settings.folder is not None
    folder = settings.folder.expanduser()
    stamp = week or "manual-" + now_utc().strftime("%Y%m%dT%H%M%S%fZ")
    return folder / f"keepwarm-{stamp}.eml"


def landed(config: Config, week: str, message_id: str | None) -> bool:
    """Did the summary of ``week`` with ``message_id`` get through? Only a ``file`` delivery
    can tell (the week's file holds it); False for the others: they cannot look."""
    d = config.delivery
    if d.method != "file" or not message_id or d.folder is None:
        return False
    try:
        head = eml_path(d, week).read_bytes().split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    except OSError:
        return False
    return message_id.encode() in head


def write_eml(message: EmailMessage, settings: DeliverySettings, week: str | None) -> None:
    """Write ``message`` as an ``.eml`` file, atomically (temp file + rename), mode 0600."""
    write_atomic(eml_path(settings, week), message.as_bytes(), mode=0o600)


def _connector_sender(config: Config, env: Env) -> Callable[[EmailMessage], None]:
    account = config.account(config.delivery.account or "")
    assert account is not None  # problems() made sure
    return lambda message: connectors.send(account, env, message)
