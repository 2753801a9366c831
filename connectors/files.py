"""Owned files written atomically with a tight mode (tokens, caches, configs, summaries), and
read back as JSON.

``daemon`` uses the same writer (``daemon.paths.write_atomic``); it lives here because
connectors never import ``daemon``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_private(path: Path, data: str | bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync and rename, so a
    reader sees the old or the new file, never half of one; the file has ``mode`` throughout."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
