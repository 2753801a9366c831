"""The cyclic garbage collector around a long command (``keepwarm sync``, ``keepwarm report``).

Loading SQLAlchemy, pydantic and the store's models makes some 300,000 objects and almost no
garbage, yet the collector walks them again and again as they load (~40 ms of a sync), and
each full collection during the sync walks them once more (~30 ms each): a sync's pages make
enough objects to set one off. :func:`loading` keeps the collector off while a command loads
what it needs; :func:`settled` then leaves everything loaded out of full collections while the
work runs (``gc.freeze``), and puts it back after, so a process that goes on (a test run)
collects as before. Young objects are collected as usual throughout. :func:`ending` spares a
process that is about to exit the collection Python runs at exit (~0.1 s after a sync).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def loading() -> Iterator[None]:
    """Run the block (imports, opening the config and the store) with the collector off."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextmanager
def settled() -> Iterator[None]:
    """Run the block with the objects alive now left out of full collections."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def ending() -> None:
    """The process exits next: leave every object out of the collection Python runs at exit,
    which walks all the loaded modules to free what the OS frees anyway. Exit handlers (log
    flushing, ``weakref.finalize``) still run; files are closed by ``with`` blocks before."""
    gc.freeze()
