"""Where Keepwarm keeps things: XDG config and state folders, and atomic, tight-mode writes."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.files import write_private as write_atomic  # one atomic writer for both

__all__ = ["cache_home", "config_home", "default_config_path", "state_home", "write_atomic"]


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "keepwarm"


def state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "keepwarm"


def cache_home() -> Path:
    """What can be made again, only kept to save time (compiled templates)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "keepwarm"


def default_config_path() -> Path:
    """``$KEEPWARM_CONFIG``, else ``$XDG_CONFIG_HOME/keepwarm/config.toml``."""
    env = os.environ.get("KEEPWARM_CONFIG")
    return Path(env) if env else config_home() / "config.toml"

