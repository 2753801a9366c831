"""Import each kernel maintainer of ``../shared/data/lists`` into its own SQLite store (archive
connector, kind ``mbox``, through the sync Engine) and run the ranking backtest on them, with
the ``[me]`` addresses and the snapshot window of ``../shared/data/lists/README.md``:
every 4 weeks from 2020-01-01 to 2025-09-30.

    python bench/lists_backtest.py [--data ../shared/data/lists] [--work DIR] [--jobs 2]

Stores are reused when already imported (delete ``--work`` to re-import); the bench prints how
long the import and the backtest each took, and says whether the stores came from the cache.
Jean Delvare stops writing in 2024 (the README's stress case): his window is the same here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from owner_store import import_once  # noqa: E402

from connectors.settings import MboxAccount  # noqa: E402
from daemon.config import Config, MeSettings, StoreSettings  # noqa: E402
from daemon.store.db import sqlite_url  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "lists"
OWNERS = {  # owner -> (mbox under --data, [me] addresses), from the README
    "dmitry-torokhov": ("linux-input/dmitry-torokhov.mbox", (
        "dmitry.torokhov@gmail.com", "dtor@chromium.org", "dtor@google.com", "dtor@mail.ru",
        "dtor@insightbb.com")),
    "wolfram-sang": ("linux-i2c/wolfram-sang.mbox", (
        "wsa@kernel.org", "wsa+renesas@sang-engineering.com", "wsa@the-dreams.de",
        "wsa@sang-engineering.com", "wsa-dev@sang-engineering.com", "wolfram@the-dreams.de")),
    "jean-delvare": ("linux-i2c/jean-delvare.mbox", (
        "jdelvare@suse.de", "jdelvare@suse.com", "khali@linux-fr.org")),
}


def import_owner(args: tuple[str, str, str]) -> tuple[str, str]:
    """Import one owner (skipped when its store is complete); returns (owner, status)."""
    owner, data, work = args
    rel, me = OWNERS[owner]
    account = MboxAccount(name=owner, kind="mbox", path=Path(data) / rel)
    config = Config(store=StoreSettings(url=sqlite_url(Path(work) / f"{owner}.sqlite")),
                    me=MeSettings(addresses=me), accounts=(account,))
    # 'now' for the importer's date sanity window
    return owner, import_once(Path(work), owner, config, datetime(2026, 2, 1, tzinfo=UTC))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "keepwarm-lists")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--rows", type=Path)
    args, rest = p.parse_known_args(argv)
    if not args.data.is_dir():
        print(f"lists_backtest: {args.data} is missing: this benchmark needs ../shared/data/lists"
              "; nothing to run.", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    tasks = [(o, str(args.data), str(args.work)) for o in OWNERS]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        statuses = dict(pool.map(import_owner, tasks))
    for owner, status in statuses.items():
        print(f"  {owner:<16} {status}", file=sys.stderr)
    imported = time.perf_counter()
    from daemon.cli.backtest import main as backtest_main
    stores = [str(args.work / f"{o}.sqlite") for o in OWNERS if (args.work / f"{o}.done").exists()]
    extra = ["--rows", str(args.rows)] if args.rows else []
    code = backtest_main(["--from", "2020-01-01", "--to", "2025-09-30", *extra, *rest,
                          *[x for s in stores for x in ("--store", s)]])
    done = time.perf_counter()
    how = "stores from the cache" if all(s == "cached" for s in statuses.values()) else "imported"
    print(f"\nimport {imported - start:.1f} s ({how}), backtest {done - imported:.1f} s",
          file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
