"""Granted scopes of each signed-in account, as its connector reads them from its token file,
against metadata-only needs (only scope names are read; tokens themselves are never printed);
the key file of each account a service account signs in for (Google Workspace domain-wide
delegation); and whether each account that logs in with a password can log in. An
organisation's app (Microsoft ``auth = "organisation"``) has no token file: its application
permissions are read from a token the connector asks for, against the least-privilege ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import connectors
from connectors.base import Env
from connectors.errors import ConnectorError
from connectors.settings import AccountSettings
from daemon.config import Config
from daemon.errors import with_fix
from daemon.service.checks import Check, fix, ok, warn

GOOGLE_OK = {"gmail.metadata", "calendar.readonly", "calendar.events.readonly",
             "calendar.calendarlist.readonly", "openid", "email", "profile",
             "userinfo.email", "userinfo.profile"}
MICROSOFT_OK = {"mail.readbasic", "calendars.readbasic", "user.read", "openid", "profile",
                "offline_access", "email"}
# Application permissions of an organisation's Microsoft app: stream -> the least-privilege one
MICROSOFT_APP = {"mail": "mail.readbasic.all", "calendar": "calendars.readbasic.all",
                 "send": "mail.send"}
# kind -> (scopes a metadata-only sign-in may hold, the one added by send = true)
ALLOWED = {"google": (GOOGLE_OK, "gmail.send"), "microsoft": (MICROSOFT_OK, "mail.send")}


def scope_checks(config: Config, state_dir: Path) -> Iterator[Check]:
    """One line per account that signs in: its scopes, and a warning when wider."""
    env = Env(state_dir=state_dir)
    for acc in config.accounts:
        if not connectors.signs_in(acc.kind):
            continue
        if acc.kind == "microsoft" and getattr(acc, "auth", "user") == "organisation":
            yield app_permission_check(acc, env)  # Google's delegated scopes read as granted
            continue
        base, send = ALLOWED[acc.kind]
        allowed = {*base, send} if getattr(acc, "send", False) else base
        scopes = connectors.granted_scopes(acc, env)
        if scopes is None:
            yield fix(f"account {acc.name}: not signed in: keepwarm auth {acc.name}")
            continue
        if not scopes:
            path = connectors.token_path(acc, env)
            yield warn(f"account {acc.name}: granted scopes not recorded in "
                       f"{path.name if path else 'its token file'}")
            continue
        wider = sorted(s for s in scopes if s.lower() not in {a.lower() for a in allowed})
        listed = ", ".join(sorted(scopes))
        if wider:
            yield warn(f"account {acc.name}: scopes wider than metadata-only: "
                       f"{', '.join(wider)}; run keepwarm auth {acc.name} to re-consent")
        else:
            yield ok(f"account {acc.name}: scopes {listed}")


def key_files(config: Config) -> list[Path]:
    """The service-account key files the accounts name (their mode is checked like tokens')."""
    found = {Path(p).expanduser() for acc in config.accounts
             if (p := getattr(acc, "service_account_file", None)) is not None}
    return sorted(p for p in found if p.is_file())


def key_checks(config: Config) -> Iterator[Check]:
    """One line per enabled account signed in by a service account: is its key file sound?"""
    for acc in config.accounts:
        key = getattr(acc, "service_account_file", None)
        if acc.enabled and key is not None:
            problem = connectors.key_problem(acc)
            yield fix(f"account {acc.name}: {problem}") if problem else ok(
                f"account {acc.name}: service account key {key}")


def app_permission_check(acc: AccountSettings, env: Env) -> Check:
    """An organisation's app: the application permissions its token carries, each needed by an
    enabled stream (Mail.Send only with send = true) and none wider."""
    needed = {role for key, role in MICROSOFT_APP.items() if getattr(acc, key, False)}
    try:
        roles = connectors.granted_scopes(acc, env) or set()
    except ConnectorError as exc:
        return fix(with_fix(f"account {acc.name}: {exc}", exc.hint))
    wider, missing = sorted(roles - needed), sorted(needed - roles)
    if missing:
        return fix(f"account {acc.name}: the app lacks the application permission(s) "
                   f"{', '.join(missing)}: grant them with admin consent")
    if wider:
        return warn(f"account {acc.name}: the app's application permissions are wider than "
                    f"metadata-only: {', '.join(wider)}; remove them from the app registration "
                    f"(API permissions), keep {', '.join(sorted(needed))}")
    return ok(f"account {acc.name}: application permissions {', '.join(sorted(roles))}")


def login_checks(config: Config, state_dir: Path) -> Iterator[Check]:
    """One line per enabled account that logs in with a password: does the login work?"""
    env = Env(state_dir=state_dir)
    for acc in config.accounts:
        if acc.enabled and connectors.CONNECTORS[acc.kind].logs_in:
            problem = connectors.check_login(acc, env)
            yield fix(f"account {acc.name}: {problem}") if problem else ok(
                f"account {acc.name}: logs in")
