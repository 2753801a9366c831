"""Run Keepwarm end to end on the bundled demo mailbox: invent a seeded history, write it as an
mbox and an .ics file, import both through the real connectors and sync engine into a
throwaway SQLite store, and build the weekly summary from it.

Nothing here touches the user's config, store or state folder.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import Env
from daemon.clock import now_utc
from daemon.config import Config
from daemon.demo.files import write_ics, write_mbox
from daemon.demo.history import ME, History, build_history
from daemon.paths import write_atomic
from daemon.store.db import Store, sqlite_url
from daemon.summary.content import Summary
from daemon.summary.gather import build_summary
from daemon.sync.commands import SECRET_FILE
from daemon.sync.engine import AccountResult, Engine

FILES = ("demo.mbox", "demo.ics", "demo.db", "demo.db-wal", "demo.db-shm", "config.toml")
CONFIG_TOML = """\
# The Keepwarm demo: try `keepwarm --config {folder}/config.toml report`.
[store]
url = "{url}"

[me]
addresses = ["{me}"]

[[accounts]]
name = "demo-mail"
kind = "mbox"
path = "{folder}/demo.mbox"

[[accounts]]
name = "demo-calendar"
kind = "ics"
path = "{folder}/demo.ics"
"""


@dataclass(frozen=True)
class DemoRun:
    """What one demo run made: the history it planted, the sync results, the summary."""

    history: History
    summary: Summary
    results: list[AccountResult]
    messages: int
    meetings: int
    folder: Path | None  # kept folder, or None when it was thrown away


def demo_config(folder: Path) -> Config:
    """The demo's config: the mbox and .ics accounts in ``folder``, its own store."""
    return Config.model_validate({
        "store": {"url": sqlite_url(folder / "demo.db")},
        "me": {"addresses": [ME[1]]},
        "accounts": [
            {"name": "demo-mail", "kind": "mbox", "path": folder / "demo.mbox"},
            {"name": "demo-calendar", "kind": "ics", "path": folder / "demo.ics"},
        ],
    })


@contextmanager
def _folder(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name in FILES:  # start over: a kept folder from an earlier run is replaced
            (keep / name).unlink(missing_ok=True)
        shutil.rmtree(keep / "state", ignore_errors=True)
        yield keep.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="keepwarm-demo-") as tmp:
        yield Path(tmp)


def run_demo(seed: int = 7, as_of: datetime | None = None, keep: Path | None = None,
             full: bool = False) -> DemoRun:
    """Build, import and summarise the demo history for ``seed`` at ``as_of`` (default now).

    With ``keep``, the mbox, .ics, store and a ready-to-use config.toml stay in that folder;
    ``full`` (``--all``) caps no section of the summary.
    """
    as_of = (as_of or now_utc()).astimezone(UTC)
    history = build_history(as_of, seed)
    with _folder(keep) as folder:
        messages = write_mbox(history, folder / "demo.mbox")
        meetings = write_ics(history, folder / "demo.ics")
        config = demo_config(folder)
        if keep is not None:
            write_atomic(folder / "config.toml", CONFIG_TOML.format(
                folder=folder, url=config.store_url, me=ME[1]))
        store = Store(config.store_url)
        try:
            env = Env(state_dir=folder / "state", interactive=False, now=lambda: as_of)
            results = Engine(store, config, env).sync()
            _seeded_secret(env.state_dir, seed)  # the same seed, the same summary
            summary = build_summary(store, config, as_of, full=full,
                                    state_dir=env.state_dir)  # the actions, as sent weekly
        finally:
            store.dispose()
    return DemoRun(history, summary, results, messages, meetings,
                   folder if keep is not None else None)


def _seeded_secret(state_dir: Path, seed: int) -> None:
    """The demo's action secret, derived from its seed so a run is repeatable: the demo's
    mailbox is made up, so its tokens guard nothing (a real installation's secret is random)."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = hashlib.sha256(f"keepwarm-demo-{seed}".encode()).hexdigest()
    write_atomic(state_dir / SECRET_FILE, key + "\n")
