"""Connectors: one module per source kind, each offering ``build(account, env) -> list[Source]``.

The registry maps a config ``kind`` to its module, imported lazily so that a user without
Google accounts never loads Google's client libraries.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from connectors.base import Env, Source

REGISTRY: dict[str, str] = {
    "maildir": "connectors.local.archive",
    "mbox": "connectors.local.archive",
    "ics": "connectors.local.ics",
    "google": "connectors.google",
    "microsoft": "connectors.microsoft",
}


def build(account: Any, env: Env) -> list[Source]:
    """The sources of one account, from the module registered for its ``kind``."""
    module = importlib.import_module(REGISTRY[account.kind])
    factory: Callable[[Any, Env], list[Source]] = module.build
    return factory(account, env)
