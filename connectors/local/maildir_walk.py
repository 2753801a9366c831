"""Walking a maildir tree one folder at a time: which folders, in which order, and which of
their files are messages. A large folder is read a window of ``WINDOW`` files at a time, in
sorted order, so memory stays flat however large the folder (see :mod:`.maildir_runs`)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_FLAGS = re.compile(r"[:!;]2,[^/]*$")
WINDOW = 50_000  # keys of one folder held at once (about twice that while reading)
_IGNORED_FILES = ("dovecot", "courier", "maildirfolder", "subscriptions", "mbsyncstate")


@dataclass(frozen=True, slots=True)
class Folder:
    parts: tuple[str, ...]  # relative path: the walk order and the cursor's "dir"
    dirs: tuple[str, ...]  # directories holding its message files (cur and new of a maildir)
    labels: tuple[str, ...]
    only: str | None = None  # the one file of a file root (its name keeps its flags)


def label_of(parts: tuple[str, ...]) -> tuple[str, ...]:
    """Folder label of relative folder ``parts``; Maildir++ ``.A.B`` becomes ``A/B``."""
    names = [p[1:].replace(".", "/") if p.startswith(".") else p for p in parts]
    label = "/".join(n for n in names if n)
    return (label,) if label else ()


def folders(root: Path, after: tuple[str, ...] = (), unreadable: set[str] | None = None
            ) -> Iterator[Folder]:
    """Folders under ``root`` in the order of their ``parts`` (depth first, names sorted),
    from ``after`` on: subtrees wholly before it are not visited. Skips maildir ``tmp``.
    Folders that cannot be listed are added to ``unreadable``."""
    if root.is_file():
        yield Folder((), (str(root.parent),), (), root.name)
        return
    stack: list[tuple[str, tuple[str, ...]]] = [(str(root), ())]
    while stack:
        folder, parts = stack.pop()
        try:
            with os.scandir(folder) as it:
                subdirs = sorted(e.name for e in it if e.is_dir(follow_symlinks=False))
        except OSError:
            if unreadable is not None and os.path.lexists(folder):  # not gone meanwhile
                unreadable.add(folder)
            continue
        dirs: tuple[str, ...] = (folder,)
        if "cur" in subdirs or "new" in subdirs:  # a maildir; "tmp" holds deliveries in progress
            dirs = tuple(os.path.join(folder, d) for d in ("cur", "new") if d in subdirs)
            subdirs = [d for d in subdirs if d not in ("cur", "new", "tmp")]
        if parts >= after:
            yield Folder(parts, dirs, label_of(parts))
        for name in reversed(subdirs):  # popped in sorted order
            child = (*parts, name)
            if child >= after or after[: len(child)] == child:
                stack.append((os.path.join(folder, name), child))


def wanted(folder: Folder, name: str) -> bool:
    """Whether file ``name`` of ``folder`` may be a message (not hidden, not tool metadata)."""
    if folder.only is not None:
        return name == folder.only
    return not name.startswith(".") and not name.startswith(_IGNORED_FILES)


def files(folder: Folder, stat: bool, unreadable: set[str] | None = None
          ) -> Iterator[tuple[str, str, int, float]]:
    """(source id, file name, index in ``dirs``, stamp: 0 unless ``stat``) of its messages;
    a directory that cannot be listed is added to ``unreadable``."""
    prefix = "/".join(folder.parts)
    for i, path in enumerate(folder.dirs):
        try:
            it = os.scandir(path)
        except OSError:
            if unreadable is not None and os.path.lexists(path):
                unreadable.add(path)
            continue
        with it:
            for e in it:
                if not wanted(folder, e.name):
                    continue
                try:
                    if not e.is_file(follow_symlinks=False):
                        continue
                    st = e.stat(follow_symlinks=False) if stat else None
                except OSError:
                    continue  # gone meanwhile
                base = e.name if folder.only else _FLAGS.sub("", e.name)
                stamp = max(st.st_mtime, st.st_ctime) if st else 0.0
                yield (f"{prefix}/{base}" if prefix else base), e.name, i, stamp


def keys_after(folder: Folder, pos: str | None, unreadable: set[str] | None = None
               ) -> Iterator[str]:
    """The keys (``source id NUL file name NUL index in dirs``) of the folder's files, in
    listing order, whose ``source id NUL file name`` is after ``pos``: one listing."""
    for sid, name, i, _ in files(folder, False, unreadable):
        if pos is None or f"{sid}\0{name}" > pos:
            yield f"{sid}\0{name}\0{i}"
