"""One mailbox owner's SQLite store for the backtest benches, imported once through the real
mbox connector and sync engine and then reused (a ``OWNER.done`` file marks it complete)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from connectors.base import Env
from daemon.config import Config
from daemon.store import Store
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
    store = Store(config.store_url)
    state = work / "state"
    state.mkdir(exist_ok=True)
    results = Engine(store, config, Env(state_dir=state, now=lambda: now)).sync()
    store.dispose()
    if any(r.status != AccountStatus.OK for r in results):
        return f"failed: {[r.error for r in results]}"
    done.write_text(",".join(config.me.addresses))
    return "imported"
