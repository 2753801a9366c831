"""Granted scopes of each account, read from its token file, against metadata-only needs.

Google token files (``tokens/NAME.json``) carry ``scopes``; MSAL caches
(``tokens/NAME.msal.json``) carry ``target`` on their access tokens. Only scope names are
read; tokens themselves are never printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from daemon.config import Config
from daemon.service.checks import Check, fix, ok, warn

GOOGLE_BASE = "https://www.googleapis.com/auth/"
GOOGLE_OK = {"gmail.metadata", "calendar.readonly", "calendar.events.readonly",
             "calendar.calendarlist.readonly", "openid", "email", "profile",
             "userinfo.email", "userinfo.profile"}
MICROSOFT_OK = {"mail.readbasic", "calendars.readbasic", "user.read", "openid", "profile",
                "offline_access", "email"}


def google_scopes(data: dict[str, Any]) -> set[str]:
    raw = data.get("scopes") or []
    if isinstance(raw, str):
        raw = raw.split()
    return {str(s).removeprefix(GOOGLE_BASE) for s in raw}


def msal_scopes(data: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for entry in (data.get("AccessToken") or {}).values():
        for scope in str(entry.get("target", "")).split():
            found.add(scope.rsplit("/", 1)[-1].lower())
    return found


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def scope_checks(config: Config, state_dir: Path) -> Iterator[Check]:
    """One line per Google/Microsoft account: its scopes, and a warning when wider."""
    for acc in config.accounts:
        if acc.kind == "google":
            path, allowed, read = state_dir / "tokens" / f"{acc.name}.json", set(GOOGLE_OK), \
                google_scopes
            if acc.send:
                allowed.add("gmail.send")
        elif acc.kind == "microsoft":
            path, allowed, read = state_dir / "tokens" / f"{acc.name}.msal.json", \
                set(MICROSOFT_OK), msal_scopes
            if acc.send:
                allowed.add("mail.send")
        else:
            continue
        data = _read(path) if path.exists() else None
        if data is None:
            yield fix(f"account {acc.name}: not signed in: keepwarm auth {acc.name}")
            continue
        scopes = read(data)
        if not scopes:
            yield warn(f"account {acc.name}: granted scopes not recorded in {path.name}")
            continue
        wider = sorted(s for s in scopes if s.lower() not in {a.lower() for a in allowed})
        listed = ", ".join(sorted(scopes))
        if wider:
            yield warn(f"account {acc.name}: scopes wider than metadata-only: "
                       f"{', '.join(wider)}; run keepwarm auth {acc.name} to re-consent")
        else:
            yield ok(f"account {acc.name}: scopes {listed}")
