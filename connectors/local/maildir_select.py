"""Which of a maildir folder's files a pass reads and which it only names, in pass order.

A key is ``source id NUL file name NUL index in dirs`` and one last character: READ when the
file changed since the last pass began (max of ctime and mtime), else LIST. A file stamped
within the coarse slack before that start is read only on a file system that stamps whole
seconds (told by the folder's first stamps). Used by :mod:`.maildir`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import islice

from connectors.local import maildir_walk
from connectors.local.maildir_runs import sorted_keys
from connectors.local.maildir_walk import Folder, files

# Seconds a file stamped just before a pass began may still have changed after it was read:
# kernels stamp files from a coarse clock (ms); FAT, SMB and old NFS only to 1-2 seconds.
FINE_SLACK = 0.05
COARSE_SLACK = 2.0
SLACK_SAMPLE = 200  # files per folder whose stamps tell a coarse file system

READ, LIST = "+", "-"  # the last character of a key: read the file, or only name it


def select(folder: Folder, since: float | None, pos: str | None = None, keys: bool = True,
           unreadable: set[str] | None = None, limit: int | None = None
           ) -> tuple[int, list[str] | None]:
    """(files to read, unsorted keys ``source id NUL file name NUL dir index, READ or LIST``)
    of the folder's files after key ``pos``, when given: READ when changed since ``since``,
    else LIST. A census past its plan only counts (``keys`` False): no key is built. Keys
    are None when there would be more than ``limit``: their building stops there."""
    found: list[str] = []
    over = False
    fresh = 0
    maybe: list[str] = []  # stamped within the coarse slack only: read on a coarse file system
    sample: list[float] = []
    for sid, name, i, stamp in files(folder, since is not None, unreadable):
        if len(sample) < SLACK_SAMPLE:
            sample.append(stamp)
        if pos is not None and f"{sid}\0{name}" <= pos:
            continue
        if since is None or stamp >= since - FINE_SLACK:
            fresh += 1
            if keys:
                found.append(f"{sid}\0{name}\0{i}{READ}")
        elif stamp >= since - COARSE_SLACK:
            maybe.append(f"{sid}\0{name}\0{i}")
        elif keys:
            found.append(f"{sid}\0{name}\0{i}{LIST}")
        if keys and limit is not None and len(found) > limit:  # a large folder: count only
            keys, over = False, True
            found.clear()
    coarse = bool(maybe) and all(s == int(s) for s in sample)  # whole seconds: look further back
    if keys:
        found += [m + (READ if coarse else LIST) for m in maybe]
        over = limit is not None and len(found) > limit
    return fresh + (len(maybe) if coarse else 0), None if over else found


def windows(folder: Folder, since: float | None, pos: str | None, unreadable: set[str]
            ) -> Iterator[tuple[Folder, list[str]]]:
    """(folder, sorted keys READ or LIST) of the folder's files after key ``pos``, a window
    of :data:`~.maildir_walk.WINDOW` at a time (at least one, maybe empty), from one listing
    of the folder (:mod:`.maildir_runs`)."""
    size = maildir_walk.WINDOW
    keys = sorted_keys(maildir_walk.keys_after(folder, pos, unreadable), size)
    coarse: bool | None = None  # decided on the folder's first stamps
    names = list(islice(keys, size))
    while True:
        following = list(islice(keys, size)) if len(names) == size else []
        if since is None:
            yield folder, [k + READ for k in names]
        else:
            stamped, coarse = _stamped(folder, names, since, coarse)
            yield folder, stamped
        if not following:
            return
        names = following


def _stamped(folder: Folder, names: list[str], since: float, coarse: bool | None
             ) -> tuple[list[str], bool | None]:
    """``names`` (keys) READ when changed since ``since``, else LIST, sorted; files gone
    meanwhile left out. ``coarse``: whether the file system stamps whole seconds (None: not
    known yet, then told by these files' first stamps), returned for the next window."""
    found: list[str] = []
    maybe: list[str] = []  # stamped within the coarse slack only: read on a coarse file system
    sample: list[float] = []
    for key in names:
        _, name, i = key.split("\0")
        try:
            st = os.stat(os.path.join(folder.dirs[int(i)], name), follow_symlinks=False)
        except OSError:
            continue  # gone meanwhile
        stamp = max(st.st_mtime, st.st_ctime)
        if len(sample) < SLACK_SAMPLE:
            sample.append(stamp)
        if stamp >= since - FINE_SLACK:
            found.append(key + READ)
        elif stamp >= since - COARSE_SLACK:
            maybe.append(key)
        else:
            found.append(key + LIST)
    if coarse is None and sample:
        coarse = all(s == int(s) for s in sample)
    found += [m + (READ if coarse else LIST) for m in maybe]
    return sorted(found), coarse
