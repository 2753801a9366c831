"""Give memory back after a job: collect cycles, then let glibc return free heap pages to the
system (``malloc_trim``), so the idle daemon shrinks back after a big sync or the scoring."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``; None on a C library without it (musl, macOS)."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim  # type: ignore[no-any-return]


_TRIM = _malloc_trim()


def release_memory() -> None:
    """Collect cycles left by a job, then return free heap pages to the system."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
