"""One pydantic error as one line ``file:line: dotted.key: message``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from connectors.settings import ACCOUNT_KINDS
from daemon.config.lines import locate

Loc = tuple[Any, ...]


def problem(err: Any, path: Path, lines: dict[Loc, int], data: Any,
            where: Callable[[Loc], Loc] = lambda loc: loc) -> str:
    """``err`` (from validating ``data``) at its key in the file; ``where`` maps a location in
    ``data`` to the file's (a team member's merged table to the keys it was made of)."""
    loc = [p for i, p in enumerate(err["loc"]) if not (i == 2 and p in ACCOUNT_KINDS)]
    at = where(tuple(loc))
    line = locate(lines, at)
    kind, value = err["type"], err.get("input")
    if kind == "union_tag_invalid":
        msg = f"{value_of(data, loc)!r} is not one of {', '.join(ACCOUNT_KINDS)}"
        at = where((*loc, "kind"))
        line = locate(lines, at)
    elif kind == "union_tag_not_found":
        msg = f"missing 'kind' (one of {', '.join(ACCOUNT_KINDS)})"
    elif kind == "extra_forbidden":
        msg = "unknown key (see config/keepwarm.example.toml for the allowed keys)"
    elif kind == "missing":
        msg = "required key is missing"
    elif kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
    else:
        msg = f"{err['msg']} (got {value!r})" if not isinstance(value, dict) else err["msg"]
    return line_of(path, line, at, msg)


def line_of(path: Path | None, line: int, loc: Loc, msg: str) -> str:
    """``file:line: dotted.key: message``."""
    return f"{path}:{line}: {dotted(loc) or '(top level)'}: {msg}"


def dotted(loc: Loc) -> str:
    """``("members", 3, "delivery", "to")`` as ``members[3].delivery.to``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def value_of(data: Any, loc: list[Any]) -> Any:
    """The raw value at ``loc`` + ``kind`` (for the tag error, whose input is the table)."""
    for part in loc:
        data = data[part]
    return data.get("kind") if isinstance(data, dict) else data
