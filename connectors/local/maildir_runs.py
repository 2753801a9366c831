"""A large maildir folder's keys in sorted order from one listing, in bounded memory: sorted
runs of at most ``window`` keys spill to anonymous temporary files and are merged back.

Listing the folder again for every window of keys made a pass over a folder of n files list
it n / window times (20 times for a 1,000,000-file "All Mail" folder with windows of 50,000),
on every sync. A folder of at most ``window`` keys never touches the disk. The files vanish
when closed, and with the process if it is killed. Used by :mod:`.maildir_select`.
"""

from __future__ import annotations

import heapq
import marshal
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

CHUNK = 2_000  # keys per record of a run: what each run holds in memory while merging


def sorted_keys(keys: Iterable[str], window: int) -> Iterator[str]:
    """``keys`` in sorted order, holding at most ``window`` of them at once while reading and
    a chunk of each spilled run while merging."""
    held: list[str] = []
    runs: list[IO[bytes]] = []
    try:
        for key in keys:
            held.append(key)
            if len(held) > window:
                held.sort()
                runs.append(_spill(held))
                held = []
        held.sort()
        yield from heapq.merge(held, *map(_read, runs)) if runs else held
    finally:
        for run in runs:
            run.close()


def _spill(keys: list[str]) -> IO[bytes]:
    run = tempfile.TemporaryFile()
    for start in range(0, len(keys), CHUNK):
        marshal.dump(keys[start:start + CHUNK], run)
    run.seek(0)
    return run


def _read(run: IO[bytes]) -> Iterator[str]:
    while True:
        try:
            chunk: list[str] = marshal.load(run)
        except EOFError:
            return
        yield from chunk
