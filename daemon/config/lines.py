"""Find the line of a key in TOML source, so config errors can name it (tomllib keeps no positions).

A small scanner: it follows ``[table]`` and ``[[array]]`` headers and ``key =`` lines; that covers
the flat files Keepwarm documents. Anything it cannot place falls back to its table's header.
"""

from __future__ import annotations

import re
from typing import Any

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]+\")\s*=")


def key_lines(text: str) -> dict[tuple[Any, ...], int]:
    """Map each table path (``("accounts", 1)``, ``("members", 0, "accounts", 2)``) and key path
    (``("accounts", 1, "kind")``) to its 1-based line number."""
    lines: dict[tuple[Any, ...], int] = {}
    counts: dict[tuple[Any, ...], int] = {}  # each array of tables (under its parent entry)
    table: tuple[Any, ...] = ()
    for no, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            table = _table(header.group(2).split("."), header.group(1) == "[[", counts)
            lines.setdefault(table, no)
            continue
        key = _KEY.match(raw)
        if key:
            lines.setdefault((*table, key.group(1).strip('"')), no)
    return lines


def _table(names: list[str], array: bool, counts: dict[tuple[Any, ...], int]) -> tuple[Any, ...]:
    """The path of a header: a name that is an array of tables so far stands for its last
    entry (``[members.report]`` is the last ``[[members]]``'s); ``[[...]]`` adds an entry."""
    parts: tuple[Any, ...] = ()
    for name in names[:-1]:
        parts = (*parts, name)
        if parts in counts:
            parts = (*parts, counts[parts] - 1)
    parts = (*parts, names[-1])
    if array:
        counts[parts] = counts.get(parts, 0) + 1
        parts = (*parts, counts[parts] - 1)
    return parts


def locate(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    """The line of ``loc``, or of its nearest enclosing key or table; 1 if nothing matches."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1
