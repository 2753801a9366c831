"""Import each Enron owner of ``../shared/data/enron`` into its own SQLite store (archive
connector, kind ``mbox``, through the sync Engine) and run the ranking backtest on them.

    python bench/enron_backtest.py [--data ../shared/data/enron] [--work DIR] [--jobs 2]

Each owner's ``[me]`` addresses come from the ``From:`` lines of their sent folders. Stores
are reused when already imported (delete ``--work`` to re-import).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from owner_store import import_once  # noqa: E402

from connectors.settings import MboxAccount  # noqa: E402
from daemon.config import Config, MeSettings, StoreSettings  # noqa: E402
from daemon.store.db import sqlite_url  # noqa: E402

SENT_FOLDERS = ("sent.mbox", "_sent_mail.mbox", "sent_items.mbox")
FROM_LINE = re.compile(rb"^From:\s*(.+?)\s*$", re.M)
ADDRESS = re.compile(rb"[\w.+'-]+@[\w.-]+")
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "enron"


def owner_addresses(folder: Path) -> tuple[str, ...]:
    """The owner's own addresses: every address on at least 2% (and 3) of the ``From:`` lines
    of their sent folders (drops assistants who sent a few mails on their behalf)."""
    counts: Counter[str] = Counter()
    for name in SENT_FOLDERS:
        path = folder / name
        if path.exists():
            for line in FROM_LINE.findall(path.read_bytes()):
                match = ADDRESS.search(line)
                if match:
                    counts[match.group(0).decode("ascii", "replace").lower()] += 1
    total = sum(counts.values())
    return tuple(sorted(a for a, n in counts.items() if n >= 3 and n >= 0.02 * total))


def owner_config(owner: str, folder: Path, store_path: Path) -> Config | None:
    me = owner_addresses(folder)
    if not me:
        return None
    account = MboxAccount(name=owner, kind="mbox", path=folder)
    return Config(store=StoreSettings(url=sqlite_url(store_path)), me=MeSettings(addresses=me),
                  accounts=(account,))


def import_owner(args: tuple[str, str, str]) -> tuple[str, str]:
    """Import one owner (skipped when its store is complete); returns (owner, status)."""
    owner, folder, work = args
    if (Path(work) / f"{owner}.done").exists():
        return owner, "cached"
    config = owner_config(owner, Path(folder), Path(work) / f"{owner}.sqlite")
    if config is None:
        return owner, "skipped: no sent folder"
    # 'now' for the importer's date sanity window
    return owner, import_once(Path(work), owner, config, datetime(2003, 1, 1, tzinfo=UTC))


def import_all(data: Path, work: Path, jobs: int) -> tuple[list[str], bool]:
    """Import every owner folder of ``data`` into ``work``: the owners with a store, and
    whether every store came from the cache."""
    work.mkdir(parents=True, exist_ok=True)
    owners = sorted(p.name for p in data.iterdir() if p.is_dir())
    tasks = [(o, str(data / o), str(work)) for o in owners]
    cached = True
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for owner, status in pool.map(import_owner, tasks):
            print(f"  {owner:<16} {status}", file=sys.stderr)
            cached = cached and not status.startswith(("imported", "failed"))
    return [o for o in owners if (work / f"{o}.done").exists()], cached


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "keepwarm-enron")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--import-only", action="store_true")
    p.add_argument("--rows", type=Path)
    args, rest = p.parse_known_args(argv)
    if not args.data.is_dir():
        print(f"enron_backtest: {args.data} is missing: this benchmark needs ../shared/data/enron "
              "(the shared data folder next to the project); nothing to run.", file=sys.stderr)
        return 2
    print(f"importing owners from {args.data} into {args.work}", file=sys.stderr)
    start = time.perf_counter()
    owners, cached = import_all(args.data, args.work, args.jobs)
    if args.import_only:
        return 0
    imported = time.perf_counter()
    from daemon.cli.backtest import main as backtest_main
    stores = [str(args.work / f"{o}.sqlite") for o in owners]
    extra = ["--rows", str(args.rows)] if args.rows else []
    code = backtest_main(["--from", "2000-07-01", "--to", "2001-06-30", *extra, *rest,
                          *[x for s in stores for x in ("--store", s)]])
    how = "stores from the cache" if cached else "imported"
    took = time.perf_counter() - imported
    print(f"\nimport {imported - start:.1f} s ({how}), backtest {took:.1f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
