"""The config file ``keepwarm init`` writes: the commented template with the answers put in.

Only what was asked changes: ``[me] addresses``, the template's one active ``[[accounts]]``
block (replaced by the chosen accounts) and ``[delivery] to``; every comment, every commented
example and every other key stays as the template has it. The file is created once, atomically,
with mode 0600, and never replaces one that exists.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

_HEADER = re.compile(r"^\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
PLACES = {"accounts", "me", "to"}  # what render fills in
NO_ACCOUNT = "# No account chosen yet: uncomment one of the examples below, or add your own.\n"


def quote(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def shown(path: Path) -> str:
    """``path`` as a config value: under the home folder as ``~/...``."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def account_block(name: str, kind: str, comment: str, keys: Sequence[tuple[str, str]]) -> str:
    """An ``[[accounts]]`` table: name, a comment line, kind, then ``keys`` in order."""
    lines = ["[[accounts]]", f"name = {quote(name)}", f"# {comment}", f"kind = {quote(kind)}"]
    lines += [f"{key} = {quote(value)}" for key, value in keys]
    return "\n".join(lines) + "\n"


def render(template: str, addresses: Sequence[str], blocks: Sequence[str]) -> str:
    """``template`` with ``addresses`` in ``[me]`` (the first also receives the summary) and
    ``blocks`` in place of its active ``[[accounts]]`` table."""
    out: list[str] = []
    table, skipping, done = "", False, set[str]()
    for line in template.splitlines(keepends=True):
        header = _HEADER.match(line)
        if skipping and (not line.strip() or header):
            skipping = False
        if header:
            table = header.group(1)
        if skipping:
            continue
        if header and table == "accounts" and "accounts" not in done:
            out.append("\n".join(blocks) or NO_ACCOUNT)
            skipping, done = True, done | {"accounts"}
        elif table == "me" and line.startswith("addresses =") and "me" not in done:
            out.append(f"addresses = [{', '.join(quote(a) for a in addresses)}]\n")
            done.add("me")
        elif table == "delivery" and line.startswith("to =") and "to" not in done:
            out.append(f"to = {quote(addresses[0])}\n")
            done.add("to")
        else:
            out.append(line)
    if done != PLACES:  # the template changed shape: better no file than a wrong one
        raise RuntimeError(f"the config template has no place for {sorted(PLACES - done)}")
    return "".join(out)


def write_new(path: Path, text: str) -> None:
    """Create ``path`` holding ``text`` with mode 0600, all at once; ``FileExistsError`` if it
    is there already (even when it appeared a moment ago: a hard link never replaces)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
