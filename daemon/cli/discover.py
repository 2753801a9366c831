"""Where this machine keeps mail and calendars Keepwarm can read, offered by ``keepwarm init``.

Only names and folder shapes are looked at, never a file's contents: a maildir is a folder with
``cur``, ``new`` and ``tmp``; a Thunderbird mbox is a file beside its ``.msf`` index; a Takeout
mbox ends in ``.mbox`` under a ``Takeout`` folder; a calendar ends in ``.ics``. Every walk is
bounded in depth and in entries listed, and never follows a symlink, so a huge home folder
costs a fraction of a second.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

MAX_ENTRIES = 20_000  # directory entries listed per walk, then the walk stops
MAX_FOUND = 10  # candidates per place (a Downloads folder can hold dozens of invites)
MAILDIR_ROOTS = ("Maildir", ".mail", "mail")
THUNDERBIRD_ROOTS = (".thunderbird", "snap/thunderbird/common/.thunderbird",
                     ".var/app/org.mozilla.Thunderbird/.thunderbird")
MAILDIR_PARTS = {"cur", "new", "tmp"}


@dataclass(frozen=True)
class Found:
    """A source on this machine: its account ``kind``, ``path``, a suggested account ``name``
    and ``what`` it is, for the menu."""

    kind: str  # maildir | mbox | ics
    path: Path
    name: str
    what: str


def discover(home: Path | None = None, data_home: Path | None = None) -> list[Found]:
    """Every source found under ``home`` (default: the user's), with unique names."""
    home = home or Path.home()
    data_home = data_home or Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    found = [*maildirs(home), *thunderbird(home), *takeout(home), *calendars(home, data_home)]
    return _unique(found)


def maildirs(home: Path) -> Iterator[Found]:
    """``~/Maildir``, ``~/.mail`` or ``~/mail`` when a maildir folder lies within 3 levels."""
    for name in MAILDIR_ROOTS:
        root = home / name
        # Maildir++ keeps subfolders in hidden ones (.Sent): look inside those here
        count = sum(1 for _, dirs, _ in walk(root, 3, hidden=True) if MAILDIR_PARTS <= set(dirs))
        if count:
            yield Found("maildir", root, slug(name), f"maildir, {count} folder(s)")


def thunderbird(home: Path) -> Iterator[Found]:
    """Each Thunderbird account folder (``Mail/*``, ``ImapMail/*`` of every profile) holding
    mbox files, recognised by the ``.msf`` index Thunderbird keeps beside each one."""
    for root in (home / r for r in THUNDERBIRD_ROOTS):
        for profile in _subdirs(root):
            for store in ("Mail", "ImapMail"):
                for account in _subdirs(profile / store):
                    count = sum(1 for _, _, files in walk(account, 4)
                                for f in files if f"{f}.msf" in files)
                    if count:
                        yield Found("mbox", account, f"thunderbird-{slug(account.name)}",
                                    f"Thunderbird ({profile.name}), {count} mbox folder(s)")


def takeout(home: Path) -> Iterator[Found]:
    """Google Takeout mbox files: under ``~/Takeout`` or a ``Takeout`` folder in Downloads."""
    files = [p for p in _files(home / "Takeout", 4) if p.suffix.lower() == ".mbox"]
    files += [p for p in _files(home / "Downloads", 6)
              if p.suffix.lower() == ".mbox" and "Takeout" in p.parts]
    for path in sorted(files)[:MAX_FOUND]:
        yield Found("mbox", path, "takeout", "Google Takeout mbox")


def calendars(home: Path, data_home: Path) -> Iterator[Found]:
    """``.ics`` files in Downloads and ``~/Calendars``, and Evolution's local calendars."""
    places = [(home / "Downloads", 6), (home / "Calendars", 3)]
    for root, depth in places:
        files = sorted(p for p in _files(root, depth) if p.suffix.lower() == ".ics")
        for path in files[:MAX_FOUND]:
            yield Found("ics", path, f"calendar-{slug(path.stem)}", "calendar file")
    evolution = data_home / "evolution" / "calendar"
    for path in sorted(p for p in _files(evolution, 3) if p.name == "calendar.ics")[:MAX_FOUND]:
        yield Found("ics", path, f"evolution-{slug(path.parent.name)}",
                    "Evolution calendar")


def walk(root: Path, depth: int, hidden: bool = False
         ) -> Iterator[tuple[Path, list[str], list[str]]]:
    """``os.walk`` of ``root`` (folder, subfolders, files), ``depth`` levels counting ``root``,
    skipping hidden folders (unless ``hidden``) and the insides of maildirs, stopping after
    ``MAX_ENTRIES`` entries. Unreadable folders are passed over."""
    if not os.path.isdir(root):  # False, never an error, for a folder we may not enter
        return
    listed = 0
    for folder, dirs, files in os.walk(root):
        listed += len(dirs) + len(files)
        if listed > MAX_ENTRIES:
            return
        here = Path(folder)
        maildir = MAILDIR_PARTS <= set(dirs)
        level = len(here.relative_to(root).parts)
        yield here, list(dirs), files
        # cur/ and new/ hold one file per message: never list them
        dirs[:] = [] if level + 1 >= depth else sorted(
            d for d in dirs if not (maildir and d in MAILDIR_PARTS)
            and (hidden or not d.startswith(".")))


def _files(root: Path, depth: int) -> Iterator[Path]:
    for folder, _, files in walk(root, depth):
        yield from (folder / f for f in files if not f.startswith("."))


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())[:50]
    except OSError:
        return []


def size_of(path: Path) -> str:
    """The size of file ``path`` for a person ("3.2 MB"); "" for a folder."""
    try:
        size = path.stat().st_size if path.is_file() else None
    except OSError:
        return "unreadable"
    if size is None:
        return ""
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB" if size else "empty"


def slug(text: str) -> str:
    """``text`` as an account name: lower case letters, digits, ``.``, ``_`` and ``-``."""
    name = re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-._")
    return name[:40].rstrip("-._") or "source"


def _unique(found: list[Found]) -> list[Found]:
    taken: set[str] = set()
    out = []
    for item in found:
        name = unique_name(item.name, taken)
        taken.add(name)
        out.append(replace(item, name=name))
    return out


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... the first not in ``taken``."""
    n, candidate = 1, name
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate
