"""Where Keepwarm keeps things: XDG config and state folders, and atomic, tight-mode writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "keepwarm"


def state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "keepwarm"


def default_config_path() -> Path:
    """``$KEEPWARM_CONFIG``, else ``$XDG_CONFIG_HOME/keepwarm/config.toml``."""
    env = os.environ.get("KEEPWARM_CONFIG")
    return Path(env) if env else config_home() / "config.toml"


def write_atomic(path: Path, data: str | bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename, with ``mode``."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
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
