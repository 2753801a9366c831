"""The one registry of connector kinds: which module serves a config ``kind``, and what it offers.

Every registered module offers ``build(account, env) -> list[Source]``. A kind that
``logs_in`` with a password offers ``check_login(account, env) -> str | None`` (what stops
it from logging in, for ``keepwarm doctor``). A kind that ``signs_in`` also offers
``authorize(account, env)`` (``keepwarm auth NAME``),
``token_path(account, env) -> Path`` (where its sign-in is kept) and
``granted_scopes(account, env) -> set[str] | None`` (the scopes of the last consent, short and
lower-case or as the provider spells them; None: not signed in); it may offer
``no_sign_in(account) -> str | None`` (why an account of the kind needs no ``keepwarm auth``,
e.g. one a service account acts for) and ``key_problem(path) -> str | None`` (what is wrong
with such an account's key file). A kind that ``sends`` for a
``[delivery] method`` offers ``send(account, env, message)``, which retries through
:mod:`connectors.retry` itself.

Modules are imported only when an account of their kind is used, so a user without Google
accounts never loads Google's client libraries. ``tests/connectors/test_registry.py`` checks
the promises: every kind of :mod:`connectors.settings` is registered, and its module offers
what its entry says.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from connectors.base import Env, Source
from connectors.errors import ConnectorError
from connectors.settings import AccountSettings


@dataclass(frozen=True, slots=True)
class Connector:
    """One registered kind: its module's dotted path and what that module offers."""

    kind: str
    module: str
    signs_in: bool = False
    sends: str | None = None  # the [delivery] method its send() serves
    logs_in: bool = False  # offers check_login(account, env) for keepwarm doctor

    @property
    def offers(self) -> tuple[str, ...]:
        """The names of the functions its module promises."""
        names = ["build"]
        if self.signs_in:
            names += ["authorize", "token_path", "granted_scopes"]
        if self.sends:
            names.append("send")
        if self.logs_in:
            names.append("check_login")
        return tuple(names)

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


CONNECTORS: dict[str, Connector] = {c.kind: c for c in (
    Connector("maildir", "connectors.local.archive"),
    Connector("mbox", "connectors.local.archive"),
    Connector("ics", "connectors.local.ics"),
    Connector("caldav", "connectors.caldav", logs_in=True),
    Connector("google", "connectors.google", signs_in=True, sends="gmail"),
    Connector("microsoft", "connectors.microsoft", signs_in=True, sends="graph"),
    Connector("imap", "connectors.imap", logs_in=True),
)}


def _offered(account: AccountSettings, name: str) -> Callable[..., Any] | None:
    """The module function ``name`` for ``account``'s kind, when its entry promises it."""
    entry = CONNECTORS[account.kind]
    if name not in entry.offers:
        return None
    return cast(Callable[..., Any] | None, getattr(entry.load(), name, None))


def build(account: AccountSettings, env: Env) -> list[Source]:
    """The sources of one account (no network I/O happens here)."""
    return cast(list[Source], CONNECTORS[account.kind].load().build(account, env))


def signs_in(kind: str) -> bool:
    """Whether accounts of ``kind`` need ``keepwarm auth NAME`` before they sync."""
    return CONNECTORS[kind].signs_in


def no_sign_in(account: AccountSettings) -> str | None:
    """Why ``keepwarm auth`` has nothing to do for ``account``; None: it needs a sign-in."""
    if not signs_in(account.kind):
        return f"a {account.kind} account needs no sign-in"
    explain = getattr(CONNECTORS[account.kind].load(), "no_sign_in", None)
    return None if explain is None else cast(str | None, explain(account))


def key_problem(account: AccountSettings) -> str | None:
    """What is wrong with the key file ``account`` signs in with (a service account's), with
    its fix; None: it looks sound, or the account signs in without one."""
    path = getattr(account, "service_account_file", None)
    if path is None or not signs_in(account.kind):
        return None
    check = getattr(CONNECTORS[account.kind].load(), "key_problem", None)
    return None if check is None else cast(str | None, check(Path(path).expanduser()))


def authorize(account: AccountSettings, env: Env) -> None:
    """Sign ``account`` in interactively and keep its token file; a no-op for file kinds."""
    sign_in = _offered(account, "authorize")
    if sign_in is not None:
        sign_in(account, env)


def token_path(account: AccountSettings, env: Env) -> Path | None:
    """Where ``account``'s sign-in is kept; None for kinds that need none."""
    where = _offered(account, "token_path")
    return None if where is None else cast(Path, where(account, env))


def granted_scopes(account: AccountSettings, env: Env) -> set[str] | None:
    """The scopes ``account``'s last consent granted (empty: not recorded); None when it is not
    signed in, or its kind needs no sign-in. Reads only scope names, never tokens."""
    read = _offered(account, "granted_scopes")
    return None if read is None else cast(set[str] | None, read(account, env))


def check_login(account: AccountSettings, env: Env) -> str | None:
    """What stops ``account`` from logging in (a password kind), with its fix; None: it logs
    in, or its kind has no login to check."""
    check = _offered(account, "check_login")
    return None if check is None else cast(str | None, check(account, env))


def send_kind(method: str) -> str | None:
    """The account kind whose connector sends for ``[delivery] method``; None: no connector."""
    return next((c.kind for c in CONNECTORS.values() if c.sends == method), None)


def send(account: AccountSettings, env: Env, message: EmailMessage) -> None:
    """Send ``message`` through ``account``'s connector, which retries by itself."""
    deliver = _offered(account, "send")
    if deliver is None:
        raise ConnectorError(f"this installation cannot send through {account.kind} accounts",
                             hint='use [delivery] method = "smtp" or "file" meanwhile')
    deliver(account, env, message)
