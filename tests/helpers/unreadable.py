"""Make files and folders unreadable, for the tests of what an archive skips and why.

Where ``chmod 000`` stops reads (not root): that, the real thing. Root reads through any
mode (CAP_DAC_OVERRIDE), and these tests run as root in some containers, so there the paths
are refused where the connectors meet the kernel instead: ``open`` (builtins and ``io``),
``os.open`` and ``os.scandir`` (which ``os.walk`` uses) raise the ``PermissionError`` the
kernel would. Which of the two applies is found by trying, once.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


class Unreadable:
    """``deny(path)`` makes ``path`` (a file, or a folder and all below) unreadable."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.denied: list[str] = []
        self.chmodded: list[tuple[Path, int]] = []
        self.patched = _modes_ignored()

    def deny(self, path: Path) -> None:
        if not self.patched:
            self.chmodded.append((path, path.stat().st_mode & 0o7777))
            path.chmod(0)
            return
        if not self.denied:
            self._patch()
        self.denied.append(os.path.abspath(path))

    def restore(self) -> None:
        for path, mode in reversed(self.chmodded):
            path.chmod(mode)

    def _refused(self, target: Any) -> bool:
        if isinstance(target, int):  # a file descriptor: already open
            return False
        path = os.path.abspath(os.fsdecode(target))
        return any(path == d or path.startswith(d + os.sep) for d in self.denied)

    def _guard(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(target: Any = ".", *args: Any, **kwargs: Any) -> Any:
            if self._refused(target):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
            return real(target, *args, **kwargs)
        return guarded

    def _patch(self) -> None:
        for owner, name in ((builtins, "open"), (io, "open"), (os, "open"), (os, "scandir")):
            self.monkeypatch.setattr(owner, name, self._guard(getattr(owner, name)))


def _modes_ignored() -> bool:
    """Whether this process reads a file of mode 000 (root, or CAP_DAC_OVERRIDE)."""
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder, "probe")
        probe.write_bytes(b"x")
        probe.chmod(0)
        try:
            probe.read_bytes()
        except PermissionError:
            return False
        return True
