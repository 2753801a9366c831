"""The heavy synthetic mailbox of issue 17: 700,000 messages with 20,000 correspondents over the
three years before 2025-06-02, written straight into a SQLite store as a sync would write it.

    python bench/big_mailbox.py PATH [--messages 700000] [--persons 20000]

Uses :mod:`report_big`'s rows (same tables, same on-disk time format, one stored stream per
account) with messages of one to three counterparts (about 1.27 touchpoints a message, as in
the issue's 889,311), 10% meetings, threads of a few messages, 8% automated and 3% list traffic.
Seeded: the same arguments give the same store.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report_big as rb  # noqa: E402

SIZES = (1,) * 14 + (2, 2, 2, 3)  # counterparts per message: mean 1.28
ME = "me@big.example"


def history(messages: int, persons: int, seed: int = 17) -> dict[str, np.ndarray]:
    """Messages and their touchpoints as arrays, in :func:`report_big.history`'s layout."""
    rng = np.random.default_rng(seed)
    return rb.layout(rng, rng.choice(SIZES, messages), persons)


def build(path: Path, messages: int = 700_000, persons: int = 20_000) -> dict[str, int]:
    """Write the store at ``path`` (replacing it); returns its counts."""
    h = history(messages, persons)
    path.unlink(missing_ok=True)
    rb.Store(f"sqlite:///{path}").engine.dispose()  # the real schema, at head
    synced = "2025-06-01 23:00:00.000000"
    rows = {
        "accounts": iter([(1, "big", "mbox", "ok", synced, synced)]),
        "streams": iter([(1, 1, "big/mail", '{"v":1}', messages, int(h["item"].size), "{}",
                          synced)]),
        "contacts": rb.contact_rows(h, persons),
        "items": rb.item_rows(h),
        "touchpoints": rb.touchpoint_rows(h),
    }
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("PRAGMA synchronous=OFF")
    for table, it in rows.items():
        cols = rb.TABLES[table]
        marks = ",".join("?" * len(cols.split(",")))
        con.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", it)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return {"messages": messages, "touchpoints": int(h["item"].size),
            "correspondents": int(np.unique(h["contact"]).size)}


def config_text(db: Path, folder: Path) -> str:
    """A config for ``keepwarm report`` on the store (one mbox account, so sync health is ok)."""
    mbox = folder / "empty.mbox"
    mbox.touch()
    return (f'[store]\nurl = "sqlite:///{db}"\n\n[me]\naddresses = ["{ME}"]\n\n'
            f'[[accounts]]\nname = "big"\nkind = "mbox"\npath = "{mbox}"\n')


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("path", type=Path)
    p.add_argument("--messages", type=int, default=700_000)
    p.add_argument("--persons", type=int, default=20_000)
    args = p.parse_args()
    start = time.perf_counter()
    counts = build(args.path, args.messages, args.persons)
    print(f"{args.path}: {counts} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
