"""CalDAV calendars (kind ``caldav``): any server that speaks RFC 4791, read as event metadata.

:mod:`.dav` speaks the protocol (discovery, sync-collection, multiget); :mod:`.source` turns
members into the same records as the ``ics`` connector. ``build`` does no I/O: the password is
read (:mod:`connectors.secrets`) when a pass connects. ``check_login`` is what ``keepwarm
doctor`` asks of password kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from connectors.base import Env, Source
from connectors.caldav.dav import DavClient
from connectors.caldav.source import CalDavSource
from connectors.errors import ConnectorError
from connectors.secrets import read_password
from connectors.settings import CalDavAccount

__all__ = ["build", "check_login"]


def build(account: CalDavAccount, env: Env) -> list[Source]:
    """The one calendar source of a CalDAV account."""
    return [CalDavSource(f"{account.name}/calendar", partial(_connect, account),
                         account.calendars, account.upcoming_days, env.now)]


def check_login(account: CalDavAccount, env: Env) -> str | None:
    """What stops the account from logging in and finding its calendars, with the fix
    (``keepwarm doctor``); None when it does."""
    try:
        client = _connect(account, sleep=lambda _: None)  # doctor answers now, not in minutes
        try:
            client.calendars()
        finally:
            client.close()
    except ConnectorError as exc:
        return f"{exc} ({exc.hint})" if exc.hint else str(exc)
    return None


def _connect(account: CalDavAccount, sleep: Callable[[float], None] | None = None
             ) -> DavClient:
    """A client logged in as the account (the password is read now, never kept)."""
    password = read_password(setting=f"accounts {account.name!r}", user=account.username,
                             env=account.password_env, file=account.password_file,
                             keyring=account.password_keyring)
    return DavClient(account.url, account.username, password, ca_file=account.ca_file,
                     account=account.name, sleep=sleep)
