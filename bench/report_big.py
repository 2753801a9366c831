"""``keepwarm report`` end to end on a big store: 1,000,000 touchpoints / 20,000 people.

    python bench/report_big.py [--touchpoints 1000000] [--persons 20000] [--runs 5]
                               [--work DIR] [--pg URL] [--rebuild]

Builds the store once (cached in ``--work``, default ``$TMPDIR/keepwarm-report-big``; on
PostgreSQL in a database ``keepwarm_report_big`` created through ``--pg`` or
``$KEEPWARM_TEST_PG_URL``, skipped with a line saying so when there is no server) by a bulk path
that writes the rows the real writer would (same tables, same on-disk time format, one stored
stream per account), then times whole processes, paired run by run, medians of ``--runs``:

- ``keepwarm report --as-of 2025-06-02`` (text, to /dev/null);
- yardstick 1: ``python -c "import numpy, sqlalchemy"`` (the interpreter and the heavy imports);
- yardstick 2: a bare ``SELECT count(*) FROM touchpoints`` in a fresh process (the driver).

and prints met / NOT met against 2 s. Synthetic history: seeded, 3 years before the as-of,
heavy-tailed activity per person, items of 1 to 8 counterparts, 10% meetings, email threads
of a few items, 8% automated, 3% list traffic.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daemon.store import Store  # noqa: E402

AS_OF = "2025-06-02"
AS_OF_S = int(np.datetime64("2025-06-02T00:00:00", "s").astype(np.int64))
PG_DB = "keepwarm_report_big"
TARGET = 2.0


def history(n: int, persons: int, seed: int = 11) -> dict[str, np.ndarray]:
    """Items and their touchpoints as arrays (touchpoints in item order, items in time order)."""
    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 1, 1, 1, 1, 2, 2, 3, 4, 8], n)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    sizes[-1] -= int(sizes.sum()) - n
    sizes = sizes[sizes > 0]
    return layout(rng, sizes, persons)


def layout(rng: np.random.Generator, sizes: np.ndarray, persons: int) -> dict[str, np.ndarray]:
    """Items of ``sizes`` counterparts each, spread over three years before ``AS_OF``, and their
    touchpoints as arrays (touchpoints in item order, items in time order)."""
    n = int(sizes.sum())
    items = sizes.size
    item_t = np.sort(AS_OF_S - (rng.random(items) * 3 * 365 * 86400).astype(np.int64) // 60 * 60)
    meeting = rng.random(items) < 0.10
    rate = rng.pareto(1.2, persons) + 0.05
    first = rng.choice(persons, items, p=rate / rate.sum())
    item = np.repeat(np.arange(items), sizes)
    k = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # position within its item
    contact = (first[item] + k * 7919) % persons  # distinct within an item
    email_dir = np.where(rng.random(items) < 0.4, 0, 1)  # 0 outbound, 1 inbound
    thread = np.where(meeting, -1, np.arange(items) // 3 + rng.integers(0, 3, items))
    return {
        "sizes": sizes, "item_t": item_t, "item_meeting": meeting,
        "item": item, "contact": contact, "t": item_t[item],
        "direction": np.where(meeting, 2, email_dir)[item],
        "group": sizes[item], "bulk": (rng.random(items) < 0.08)[item],
        "listed": (rng.random(items) < 0.03)[item], "direct": (rng.random(n) < 0.8),
        "thread": thread[item],
    }


def stamps(t: np.ndarray) -> list[str]:
    """The writer's on-disk time format (SQLAlchemy's SQLite DateTime, naive UTC)."""
    return [s.replace("T", " ") + ".000000" for s in np.datetime_as_string(t.astype("M8[s]"))]


DIRECTIONS = ("outbound", "inbound", "mutual")


def touchpoint_rows(h: dict[str, np.ndarray]) -> Iterator[tuple[object, ...]]:
    at = stamps(h["t"])
    meeting = h["item_meeting"][h["item"]]
    for i, (it, c, d, g, b, li, di, th, m) in enumerate(zip(
            h["item"].tolist(), h["contact"].tolist(), h["direction"].tolist(),
            h["group"].tolist(), h["bulk"].tolist(), h["listed"].tolist(), h["direct"].tolist(),
            h["thread"].tolist(), meeting.tolist(), strict=True)):
        yield (i + 1, it + 1, c + 1, 1, at[i], "meeting" if m else "email", DIRECTIONS[d], g,
               b, li, di, None if th < 0 else f"m:{th}@big.example")


def item_rows(h: dict[str, np.ndarray]) -> Iterator[tuple[object, ...]]:
    at = stamps(h["item_t"])
    for i, m in enumerate(h["item_meeting"].tolist()):
        yield (i + 1, f"mid:{i}@big.example", None, "meeting" if m else "email", at[i])


def contact_rows(h: dict[str, np.ndarray], persons: int) -> Iterator[tuple[object, ...]]:
    lo = np.full(persons, np.iinfo(np.int64).max)
    hi = np.full(persons, -1)
    np.minimum.at(lo, h["contact"], h["t"])
    np.maximum.at(hi, h["contact"], h["t"])
    seen = hi >= 0
    first, last = stamps(np.where(seen, lo, 0)), stamps(np.where(seen, hi, 0))
    for p in range(persons):
        yield (p + 1, f"p{p}@c{p % 97}.example", f"Person {p}",
               first[p] if seen[p] else None, last[p] if seen[p] else None)


TABLES = {
    "accounts": "id, name, kind, status, last_success_at, last_attempt_at",
    "streams": "id, account_id, key, cursor, records_seen, touchpoints_written, skipped,"
               " last_success_at",
    "contacts": "id, address, display_name, first_seen, last_seen",
    "items": "id, identity, fingerprint, channel, at",
    "touchpoints": "id, item_id, contact_id, account_id, at, channel, direction, group_size,"
                   " bulk, listed, direct, thread_key",
}


def all_rows(n: int, persons: int) -> dict[str, Iterator[tuple[object, ...]]]:
    h = history(n, persons)
    synced = "2025-06-01 23:00:00.000000"
    return {
        "accounts": iter([(1, "big", "mbox", "ok", synced, synced)]),
        "streams": iter([(1, 1, "big/mail", '{"v":1}', n, n, "{}", synced)]),
        "contacts": contact_rows(h, persons),
        "items": item_rows(h),
        "touchpoints": touchpoint_rows(h),
    }


def build_sqlite(path: Path, n: int, persons: int) -> None:
    import sqlite3

    path.unlink(missing_ok=True)
    Store(f"sqlite:///{path}").engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=OFF")
    con.execute("PRAGMA synchronous=OFF")
    for table, rows in all_rows(n, persons).items():
        cols = TABLES[table]
        marks = ",".join("?" * len(cols.split(",")))
        con.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()


def build_pg(url: str, n: int, persons: int) -> None:
    import psycopg

    store = Store(url)
    store.engine.dispose()
    with psycopg.connect(_libpq(url)) as con, con.cursor() as cur:
        for table, rows in all_rows(n, persons).items():
            with cur.copy(f"COPY {table} ({TABLES[table]}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        for table in TABLES:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))")
        con.commit()
        con.autocommit = True
        cur.execute("VACUUM ANALYZE")


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _with_db(url: str, db: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + db


def pg_ready(base: str, n: int, persons: int, rebuild: bool) -> str | None:
    """The bench database's URL (built when missing or stale), or None when no server."""
    try:
        import psycopg

        with psycopg.connect(_libpq(base), autocommit=True, connect_timeout=3) as con:
            exists = con.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                 (PG_DB,)).fetchone()
            if exists and rebuild:
                con.execute(f"DROP DATABASE {PG_DB}")
                exists = None
            if not exists:
                con.execute(f"CREATE DATABASE {PG_DB}")
    except Exception as exc:  # no driver, no server, no rights
        print(f"PostgreSQL: skipped ({type(exc).__name__}: {exc})".splitlines()[0])
        return None
    url = _with_db(base, PG_DB)
    with psycopg.connect(_libpq(url)) as con:
        try:
            have = con.execute("SELECT count(*) FROM touchpoints").fetchone()
        except psycopg.errors.UndefinedTable:
            have = None
    if not have or have[0] != n:
        print(f"building PostgreSQL store ({n:,} touchpoints)...", flush=True)
        with psycopg.connect(_libpq(base), autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            con.execute(f"CREATE DATABASE {PG_DB}")
        build_pg(url, n, persons)
    return url


def write_config(work: Path, url: str, name: str) -> Path:
    mbox = work / "empty.mbox"
    mbox.touch()
    cfg = work / f"{name}.toml"
    cfg.write_text(f'[store]\nurl = "{url}"\n\n[me]\naddresses = ["me@big.example"]\n\n'
                   f'[[accounts]]\nname = "big"\nkind = "mbox"\npath = "{mbox}"\n')
    return cfg


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def measure(label: str, cfg: Path, count_cmd: list[str], runs: int) -> bool:
    exe = [sys.executable, "-m", "daemon.cli", "--config", str(cfg), "report", "--as-of", AS_OF]
    yard = [sys.executable, "-c", "import numpy, sqlalchemy"]
    timed(exe)  # warm the page cache (and apply any pending migration) untimed
    rep, imp, cnt = [], [], []
    for _ in range(runs):
        rep.append(timed(exe))
        imp.append(timed(yard))
        cnt.append(timed(count_cmd))
    med = statistics.median(rep)
    print(f"{label}: keepwarm report          median {med:6.3f} s  "
          f"(runs: {', '.join(f'{x:.2f}' for x in rep)})")
    print(f"{label}: yardstick import numpy+sqlalchemy {statistics.median(imp):6.3f} s")
    print(f"{label}: yardstick bare SELECT count(*)    {statistics.median(cnt):6.3f} s")
    ok = med < TARGET
    print(f"{label}: target < {TARGET:g} s: {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--touchpoints", type=int, default=1_000_000)
    p.add_argument("--persons", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--work", type=Path,
                   default=Path(tempfile.gettempdir()) / "keepwarm-report-big")
    p.add_argument("--pg", default=os.environ.get("KEEPWARM_TEST_PG_URL"))
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--only", choices=["sqlite", "postgresql"])
    args = p.parse_args()
    n, persons = args.touchpoints, args.persons
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"store: {n:,} touchpoints, {persons:,} contacts, as of {AS_OF};"
          f" medians of {args.runs} paired whole-process runs")
    results = []
    if args.only in (None, "sqlite"):
        db = args.work / f"big-{n}-{persons}.db"
        if args.rebuild or not db.exists():
            print(f"building SQLite store {db} ...", flush=True)
            build_sqlite(db, n, persons)
        else:
            print(f"SQLite store cached: {db}")
        cfg = write_config(args.work, f"sqlite:///{db}", "sqlite")
        count = [sys.executable, "-c", "import sqlite3; sqlite3.connect(" + repr(str(db)) +
                 ").execute('SELECT count(*) FROM touchpoints').fetchone()"]
        results.append(measure("SQLite", cfg, count, args.runs))
    if args.only in (None, "postgresql"):
        url = pg_ready(args.pg, n, persons, args.rebuild) if args.pg else None
        if not args.pg:
            print("PostgreSQL: skipped (no --pg and no KEEPWARM_TEST_PG_URL)")
        if url:
            cfg = write_config(args.work, url, "postgresql")
            count = [sys.executable, "-c", "import psycopg; psycopg.connect(" +
                     repr(_libpq(url)) + ").execute('SELECT count(*) FROM touchpoints')"
                     ".fetchone()"]
            results.append(measure("PostgreSQL", cfg, count, args.runs))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
