"""Benchmark: a firm's first sync, N members on 1, 2 and 4 ``keepwarm run`` replicas.

The fake Google of ``tests/fakes`` serves every member's mailbox through a Workspace service
account (domain-wide delegation, the JWT-bearer grant), in a process of its own, and enforces a
per-user quota like Gmail's: ``--rate`` messages/s per user (5 units per ``messages.get``,
Gmail's cost), with a burst of a tenth of a minute's units, the client limiter's own burst. Each
member's account asks for the same ``quota_per_minute``. The replicas share one fresh
PostgreSQL database (``--pg`` or ``KEEPWARM_TEST_PG_URL``), dropped afterwards.

Printed per replica count: the wall time from the replicas' start until every member's
messages are in the store (start-up included), the throughput in messages/s in total (over
the span from the first message fetched to the last) and per member (each member's
messages over the time from its first fetch to its last, against what the per-user quota allows
for that many messages), and each replica's peak RSS (VmHWM). Throughput grows with the
replicas until every member is synced at once, at its own quota; memory per replica stays flat
in N (compare ``--members 10`` with ``--members 100``).

    python bench/team_sync.py [--members 10] [--replicas 1,2,4] [--messages 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing import Pipe, Process
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from daemon.store import Store  # noqa: E402
from daemon.store.models import Item  # noqa: E402

UNITS_PER_GET = 5  # Gmail's cost of messages.get


def serve(conn: Connection, members: list[str], messages: int, rate: float,
          key: Path) -> None:
    """Child process: the fake Google with one mailbox per member, until asked for stats."""
    from team_fake import TeamGoogle

    fake = TeamGoogle(members, messages, units_per_second=rate * UNITS_PER_GET)
    with fake:
        fake.write_key(key)
        conn.send((fake.url, fake.token_uri))
        conn.recv()
        conn.send(fake.stats())


@contextmanager
def database(url: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the server at ``url``; its URL. Dropped afterwards."""
    name = f"kw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def team_config(path: Path, store_url: str, members: list[str], *, url: str, token_uri: str,
                key: Path, rate: float, workers: int) -> Path:
    """N members, each with one Google account signed in by the organisation."""
    per_minute = int(rate * UNITS_PER_GET * 60)
    parts = [f'[store]\nurl = "{store_url}"\n\n[daemon]\nsync_interval = "1h"\n'
             f'workers = {workers}\n']
    for m in members:
        parts.append(
            f'\n[[members]]\nname = "{m}"\naddresses = ["{m}@firm.example"]\n'
            f'[[members.accounts]]\nname = "google"\nkind = "google"\nauth = "organisation"\n'
            f'service_account_file = "{key}"\naddress = "{m}@firm.example"\n'
            f'api_endpoint = "{url}"\ntoken_uri = "{token_uri}"\n'
            f"quota_per_minute = {per_minute}\ncalendars = []\n")
    path.write_text("".join(parts))
    return path


def rss_mib(pid: int) -> tuple[float, float]:
    """The process's peak resident set (VmHWM) and its resident set now (VmRSS), MiB."""
    found = {line.split(":")[0]: int(line.split()[1]) / 1024
             for line in Path(f"/proc/{pid}/status").read_text().splitlines()
             if line.startswith(("VmHWM:", "VmRSS:"))}
    return found.get("VmHWM", float("nan")), found.get("VmRSS", float("nan"))


def run(n: int, replicas: int, args: argparse.Namespace, pg: str) -> dict[str, object]:
    """One first sync of ``n`` members by ``replicas`` replicas."""
    members = [f"u{i:04d}" for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp, database(pg) as store_url:
        key = Path(tmp) / "service-account.json"
        parent, child = Pipe()
        fake = Process(target=serve, args=(child, members, args.messages, args.rate, key),
                       daemon=True)
        fake.start()
        url, token_uri = parent.recv()
        config = team_config(Path(tmp) / "team.toml", store_url, members, url=url,
                             token_uri=token_uri, key=key, rate=args.rate,
                             workers=args.workers)
        Store(store_url).dispose()  # migrated once, before the replicas race to it
        want = n * args.messages
        procs = []
        t0 = time.perf_counter()
        for r in range(replicas):
            env = {**os.environ, "XDG_STATE_HOME": f"{tmp}/state{r}", "MALLOC_ARENA_MAX": "2"}
            env.pop("NOTIFY_SOCKET", None)
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "daemon.cli", "--config", str(config), "run",
                 "--log-level", "WARNING"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                stderr=open(f"{tmp}/replica{r}.log", "w")))  # noqa: SIM115
        engine = create_engine(store_url)
        got, deadline = 0, time.monotonic() + args.timeout
        try:
            while got < want:
                if time.monotonic() > deadline or all(p.poll() is not None for p in procs):
                    logs = "".join(Path(f"{tmp}/replica{r}.log").read_text()[-2000:]
                                   for r in range(replicas))
                    raise SystemExit(f"{got}/{want} messages after "
                                     f"{time.perf_counter() - t0:.0f} s\n{logs}")
                time.sleep(0.25)
                with engine.connect() as c:
                    got = c.execute(select(func.count(Item.id))).scalar_one()
            elapsed = time.perf_counter() - t0
            rss = [rss_mib(p.pid) for p in procs]
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
            engine.dispose()
        parent.send("stats")
        stats = parent.recv()
        fake.join(timeout=10)
    return {"elapsed": elapsed, "rss": rss, **stats}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, default=10, help="N (e.g. 10, 100, 500)")
    ap.add_argument("--replicas", default="1,2,4", help="replica counts to compare")
    ap.add_argument("--messages", type=int, default=200, help="messages per member")
    ap.add_argument("--rate", type=float, default=20.0, help="per-user quota, messages/s")
    ap.add_argument("--workers", type=int, default=2, help="[daemon] workers per replica")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    ap.add_argument("--pg", default=os.environ.get("KEEPWARM_TEST_PG_URL"),
                    help="PostgreSQL server URL (default: KEEPWARM_TEST_PG_URL)")
    args = ap.parse_args()
    if not args.pg:
        raise SystemExit("no PostgreSQL: pass --pg URL or set KEEPWARM_TEST_PG_URL")
    burst = args.rate * 6  # a tenth of a minute's messages, the limiter's and the fake's burst
    # What the per-user quota allows one member: the burst at once, then --rate messages/s
    # (None: every member's messages fit in the burst, so the quota never binds).
    ideal = (args.messages / ((args.messages - burst) / args.rate)
             if args.messages > burst else None)
    bound = (f"at most {ideal:.1f} messages/s per member over its own sync" if ideal
             else "every mailbox fits in the burst: the quota does not bind")
    print(f"{args.members} members x {args.messages} messages, per-user quota {args.rate:g} "
          f"messages/s (burst {burst:g}): {bound}; {args.workers} workers per replica")
    print(f"{'replicas':>8} {'wall s':>7} {'sync s':>7} {'msg/s total':>11} {'per member':>10} "
          f"{'of quota':>8} {'at once':>7}  RSS MiB per replica: peak/at the end")
    for r in [int(x) for x in args.replicas.split(",")]:
        out = run(args.members, r, args, args.pg)
        span = float(out["span"])  # type: ignore[arg-type]
        total = args.members * args.messages / span
        per = float(out["per_member"])  # type: ignore[arg-type]
        rss = " ".join(f"{hwm:.0f}/{now:.0f}" for hwm, now in out["rss"])  # type: ignore[attr-defined]
        share = f"{100 * per / ideal:.0f}%" if ideal else "-"
        print(f"{r:>8} {out['elapsed']:>7.1f} {span:>7.1f} {total:>11.1f} {per:>10.1f} "
              f"{share:>8} {out['concurrent']:>7}  {rss}", flush=True)


if __name__ == "__main__":
    main()
