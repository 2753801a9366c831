"""CalDAV calendars (kind ``caldav``): any server that speaks RFC 4791, read as event metadata.

:mod:`.dav` speaks the protocol (discovery, sync-collection, multiget); :mod:`.source` turns
members into the same records as the ``ics`` connector. ``build`` does no I/O: the password is
read (:mod:`connectors.secrets`) when a pass connects.
"""

from __future__ import annotations

from connectors.base import Env, Source
from connectors.caldav.dav import DavClient
from connectors.caldav.source import CalDavSource
from connectors.secrets import read_password
from connectors.settings import CalDavAccount

__all__ = ["build"]


def build(account: CalDavAccount, env: Env) -> list[Source]:
    """The one calendar source of a CalDAV account."""

    def connect() -> DavClient:
        password = read_password(setting=f"accounts {account.name!r}", user=account.username,
                                 env=account.password_env, file=account.password_file,
                                 keyring=account.password_keyring)
        return DavClient(account.url, account.username, password, ca_file=account.ca_file,
                         account=account.name)

    return [CalDavSource(f"{account.name}/calendar", connect, account.calendars,
                         account.upcoming_days, env.now)]
