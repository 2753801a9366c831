"""One mailbox owner's SQLite store for the backtest benches, imported once through the real
mbox connector and sync engine and then reused (a ``OWNER.done`` file marks it complete).

Every store starts as a copy of one empty, migrated store (``template.sqlite`` in the work
folder, made once): migrating a fresh store costs about a third of a second of CPU, which
78 owners would pay 78 times. The import itself is the real one."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from connectors.base import Env
from daemon.config import Config
from daemon.model.frame import Frame
from daemon.model.load import load
from daemon.store import Store
from daemon.store.db import sqlite_url
from daemon.store.vocab import AccountStatus
from daemon.sync.engine import Engine


def import_once(work: Path, owner: str, config: Config, now: datetime) -> str:
    """Import ``owner`` into ``config``'s store unless a complete one is cached; ``now`` is the
    importer's clock (its date sanity window). Returns "cached", "imported" or "failed: ..."."""
    done = work / f"{owner}.done"
    if done.exists():
        return "cached"
    store_path = Path(config.store_url.removeprefix("sqlite:///"))
    store_path.unlink(missing_ok=True)
    shutil.copyfile(template(work), store_path)
    store_path.chmod(0o600)  # as the store makes its own file
    store = Store(config.store_url)
    state = work / "state"
    state.mkdir(exist_ok=True)
    results = Engine(store, config, Env(state_dir=state, now=lambda: now)).sync()
    store.dispose()
    if any(r.status != AccountStatus.OK for r in results):
        return f"failed: {[r.error for r in results]}"
    done.write_text(",".join(config.me.addresses))
    return "imported"


def template(work: Path) -> Path:
    """``work/template.sqlite``: an empty store at the head revision (made once; made in a
    temporary file and renamed, as several importing processes may ask at the same time)."""
    path = work / "template.sqlite"
    if not path.exists():
        tmp = work / f"template-{os.getpid()}.sqlite"
        Store(f"sqlite:///{tmp}").dispose()
        tmp.replace(path)
    return path


def owner_frames(work: Path) -> Iterator[tuple[str, Frame]]:
    """(owner, frame) of every completely imported owner store in ``work``, by owner name."""
    for path in sorted(work.glob("*.sqlite")):
        if not path.with_suffix(".done").exists():
            continue
        store = Store(sqlite_url(path))
        frame = load(store)
        store.dispose()
        yield path.stem, frame
