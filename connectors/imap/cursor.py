"""The IMAP cursor: per folder its UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ (when the server offers
CONDSTORE) and the UIDs already read, as IMAP sequence-set text (``1:40,42,45:90``: a folder's
UIDs mostly ascend without gaps, so this stays short), and of those the ones read with the
``\\Draft`` flag (omitted when none: cursors written before it read as none); and, while a
full listing is open, the folders it has yet to name.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

VERSION = 1
log = logging.getLogger("connectors.imap")


@dataclass
class FolderState:
    """What the store holds of one folder."""

    uidvalidity: int
    uidnext: int = 0
    modseq: int | None = None
    uids: set[int] = field(default_factory=set)
    drafts: set[int] = field(default_factory=set)


@dataclass
class State:
    """The whole cursor. ``relist``: folders an open listing has yet to name (None: closed)."""

    folders: dict[str, FolderState] = field(default_factory=dict)
    relist: list[str] | None = None

    def dump(self) -> str:
        data: dict[str, Any] = {"v": VERSION, "f": {
            name: {"uv": f.uidvalidity, "next": f.uidnext, "ms": f.modseq,
                   "uids": pack(f.uids)} | ({"dr": pack(f.drafts)} if f.drafts else {})
            for name, f in sorted(self.folders.items())}}
        if self.relist is not None:
            data["relist"] = self.relist
        return json.dumps(data, separators=(",", ":"))


def load(cursor: str | None) -> State | None:
    """The state of ``cursor``; None for no cursor or one this code cannot read (start over)."""
    if not cursor:
        return None
    try:
        data = json.loads(cursor)
        if data.get("v") != VERSION:
            raise ValueError("another version")
        folders = {name: FolderState(int(f["uv"]), int(f["next"]), f.get("ms"),
                                     unpack(f["uids"]), unpack(f.get("dr", "")))
                   for name, f in data["f"].items()}
        relist = data.get("relist")
        return State(folders, list(relist) if relist is not None else None)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("unreadable IMAP cursor (%s): starting over", exc)
        return None


def pack(uids: set[int]) -> str:
    """UIDs as a sequence set, ascending ranges."""
    parts, ordered = [], sorted(uids)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}:{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def unpack(text: str) -> set[int]:
    """Inverse of :func:`pack`."""
    uids: set[int] = set()
    for part in filter(None, text.split(",")):
        low, _, high = part.partition(":")
        uids.update(range(int(low), int(high or low) + 1))
    return uids
