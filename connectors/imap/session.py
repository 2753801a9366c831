"""Opening an IMAP session (TLS, STARTTLS or loopback plaintext), logging in, and choosing the
folders to read. Failures become connector errors with the fix in their hint.
"""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from connectors import retry
from connectors.errors import AuthExpired, ConnectorError, SourceUnavailable, Transient
from connectors.settings import ImapAccount
from connectors.tls import private_ca

log = logging.getLogger("connectors.imap")
TIMEOUT = 60.0
# RFC 6154 flags of folders that hold no conversation, and the usual names where a server
# offers no SPECIAL-USE.
SKIPPED_USES = {b"\\trash", b"\\junk", b"\\drafts"}
SKIPPED_NAMES = {"trash", "deleted items", "deleted messages", "deleted", "junk", "spam",
                 "junk e-mail", "junk email", "bulk mail", "drafts", "draft",
                 "[gmail]/trash", "[gmail]/spam", "[gmail]/drafts", "outbox"}
SENT_NAMES = {"sent", "sent items", "sent messages", "sent mail", "[gmail]/sent mail"}


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder to read: its name as the server spells it, and whether it holds sent mail."""

    name: str
    sent: bool


def tls_context(account: ImapAccount) -> ssl.SSLContext:
    """The system's trusted CAs, or only ``ca_file`` (a private CA) when set."""
    if account.ca_file is None:
        return ssl.create_default_context()
    return private_ca(account.ca_file, "ca_file")


def connect(account: ImapAccount, password: Callable[[], str],
            sleep: Callable[[float], None] | None = None) -> IMAPClient:
    """A logged-in client; connection failures are retried by the one policy, a refused
    login is :class:`AuthExpired` at once."""
    secret = password()  # a missing password fails before any network I/O
    kwargs = {} if sleep is None else {"sleep": sleep}
    return retry.call(lambda: _open(account, secret),
                      transient=(OSError, imaplib.IMAP4.abort), **kwargs)  # type: ignore[arg-type]


def _open(account: ImapAccount, secret: str) -> IMAPClient:
    context = tls_context(account)
    try:
        client = IMAPClient(account.host, port=account.effective_port,
                            ssl=account.security == "tls", ssl_context=context, timeout=TIMEOUT)
        if account.security == "starttls":
            client.starttls(context)
    except ssl.SSLCertVerificationError as exc:
        raise ConnectorError(f"IMAP server {account.host} certificate refused: "
                             f"{exc.verify_message}",
                             hint="set ca_file to the CA that signed it, or fix host") from None
    except ssl.SSLError as exc:  # not TLS at all: a wrong port or security, not worth retrying
        raise ConnectorError(f"no TLS with IMAP server {account.host}:"
                             f"{account.effective_port}: {exc.reason or exc}",
                             hint='check port and security ("tls" for 993, "starttls" for '
                                  '143)') from None
    except (socket.gaierror, ConnectionRefusedError) as exc:
        raise Transient(f"cannot reach IMAP server {account.host}:"
                        f"{account.effective_port}: {exc}") from None
    try:
        client.login(account.username, secret)
    except LoginError as exc:
        client.shutdown()
        raise AuthExpired(f"IMAP server {account.host} refused the login of "
                          f"{account.username}: {_text(exc)}",
                          hint="check the username and password; providers with two-step "
                               "sign-in (Gmail, iCloud, Yahoo, Fastmail) want an app "
                               "password") from None
    return client


def _text(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)


def folders(client: IMAPClient, account: ImapAccount) -> list[Folder]:
    """The folders to read, in server order: ``folders`` when set, else every selectable
    folder but Trash, Junk and Drafts (by SPECIAL-USE flag, else by name); minus
    ``exclude_folders``."""
    try:
        listed = client.list_folders()
    except (IMAPClientError, OSError) as exc:
        raise SourceUnavailable(f"cannot list IMAP folders: {_text(exc)}",
                                hint="the next sync tries again") from None
    wanted = {f.lower() for f in account.folders} if account.folders is not None else None
    excluded = {f.lower() for f in account.exclude_folders}
    chosen = []
    for flags, _, name in listed:
        lowered, uses = name.lower(), {f.lower() for f in flags}
        if b"\\noselect" in uses or b"\\nonexistent" in uses or lowered in excluded:
            continue
        if wanted is not None and lowered not in wanted:
            continue
        if wanted is None and (uses & SKIPPED_USES or lowered in SKIPPED_NAMES):
            continue
        chosen.append(Folder(name, b"\\sent" in uses or lowered in SENT_NAMES))
    return chosen
