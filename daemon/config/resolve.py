"""Paths in the config file: ``~`` expanded, relative ones taken from the file's folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PATH_KEYS = ("path", "client_secrets", "folder", "password_file", "ca_file",
             "service_account_file", "client_secret_file", "client_certificate_file")


def resolve_paths(data: dict[str, Any], base: Path) -> None:
    """Expand ``~`` and make relative paths relative to the config file's folder."""
    tables = [*_tables(data.get("accounts")), data.get("delivery")]
    organisation = data.get("organisation")
    if isinstance(organisation, dict):
        tables += organisation.values()
    for member in _tables(data.get("members")):
        tables += [*_tables(member.get("accounts")), member.get("delivery")]
    for table in tables:
        for key in PATH_KEYS:
            if isinstance(table, dict) and isinstance(table.get(key), str):
                table[key] = str((base / Path(table[key]).expanduser()).resolve())


def _tables(value: Any) -> list[dict[str, Any]]:
    return [t for t in value if isinstance(t, dict)] if isinstance(value, list) else []
