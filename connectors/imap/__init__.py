"""IMAP mail (``kind = "imap"``): message headers over IMAPClient, never a body.

``build`` makes the account's one source, ``NAME/mail``; see :mod:`connectors.imap.source`
for the incremental pass, :mod:`connectors.imap.records` for what is fetched and which time
wins, :mod:`connectors.imap.session` for TLS, login and the folders read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from connectors.base import Env, Source
from connectors.errors import ConnectorError
from connectors.imap import session
from connectors.imap.source import ImapSource
from connectors.secrets import read_password
from connectors.settings import ImapAccount


def check_login(account: ImapAccount, env: Env) -> str | None:
    """What stops the account from logging in, with the fix; None when it logs in."""
    try:
        session.connect(account, _password(account), sleep=lambda _: None).logout()
    except ConnectorError as exc:
        return f"{exc} ({exc.hint})" if exc.hint else str(exc)
    return None


def _password(account: ImapAccount) -> Callable[[], str]:
    return partial(read_password, setting=f'accounts "{account.name}"',
                   user=account.username, env=account.password_env,
                   file=account.password_file, keyring=account.password_keyring)


def build(account: ImapAccount, env: Env) -> list[Source]:
    """The account's mail stream (no network I/O here; the password is read on each pass)."""
    return [ImapSource(f"{account.name}/mail", account, _password(account))]
