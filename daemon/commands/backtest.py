"""``keepwarm backtest``: replay stores snapshot by snapshot and print how well the model ranks
the relationships that really lapsed, against the recency, frequency and gap-ratio baselines.

One store is one owner. Default: the configured store. ``--store URL_OR_FILE`` (repeatable)
pools several owners; ``--stores DIR`` takes every ``*.sqlite`` file in a folder (the owner is
the file name without extension).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from daemon.backtest import METHODS, Snapshot, rows, snapshot_times, snapshots
from daemon.errors import ConfigError
from daemon.frame import load
from daemon.metrics import TrackResult, evaluate_track, reliability
from daemon.store import Store
from daemon.store.db import sqlite_url
from daemon.sync import parse_duration


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except (ValueError, KeyError, IndexError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 4w, 28d, 3m") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="start", type=date.fromisoformat,
                   help="first snapshot date (default: 1 year before --to)")
    p.add_argument("--to", dest="end", type=date.fromisoformat,
                   help="last snapshot date (default: the last date with a full horizon)")
    p.add_argument("--every", type=_duration, default=timedelta(weeks=4), help="default 4w")
    p.add_argument("--horizon", type=_duration, default=timedelta(weeks=12), help="default 12w")
    p.add_argument("--rows", type=Path, help="write one JSON line per snapshot and candidate")
    p.add_argument("--store", action="append", default=[], metavar="URL_OR_FILE",
                   help="a store to replay (repeatable; one owner each)")
    p.add_argument("--stores", type=Path, metavar="DIR", help="every *.sqlite file in DIR")
    p.add_argument("--boot", type=int, default=1000, help="bootstrap replicates (default 1000)")


def register(sub: Any) -> None:
    p = sub.add_parser("backtest", help="check the ranking against what really happened")
    add_arguments(p)
    p.set_defaults(func=handler, needs_config=False)


def _targets(args: argparse.Namespace, ctx: Any) -> list[tuple[str, Store]]:
    found = [(Path(s).stem if "://" not in s else s.rsplit("/", 1)[-1].split(".")[0],
              s if "://" in s else sqlite_url(Path(s))) for s in args.store]
    if args.stores:
        if not args.stores.is_dir():
            raise ConfigError([f"--stores: {args.stores} is not a folder"])
        found += [(p.stem, sqlite_url(p)) for p in sorted(args.stores.glob("*.sqlite"))]
    if found:
        for _, url in found:
            if url.startswith("sqlite:///") and not Path(url[10:]).exists():
                raise ConfigError([f"--store: {url[10:]} does not exist"])
        return [(owner, Store(url)) for owner, url in found]
    return [("me", ctx.store())]


def collect(args: argparse.Namespace, targets: list[tuple[str, Store]],
            people: Any = ()) -> list[Snapshot]:
    """Every counting snapshot of every owner (stores are read once each)."""
    out: list[Snapshot] = []
    for owner, store in targets:
        frame = load(store, people)
        if len(frame) == 0:
            continue
        end = args.end or (datetime.fromtimestamp(int(frame.t.max()), tz=None).date()
                           - args.horizon)
        start = args.start or end - timedelta(days=364)
        times = snapshot_times(start, end, args.every)
        out.extend(snapshots(owner, frame, times, args.horizon))
    return out


def handler(args: argparse.Namespace, ctx: Any) -> int:
    """Run the backtest and print the table; 1 when there is nothing to evaluate."""
    targets = _targets(args, ctx)
    people = ctx.config.people if not (args.store or args.stores) else ()
    snaps = collect(args, targets, people)
    if args.rows:
        with args.rows.open("w", encoding="utf-8") as fh:
            for snap in snaps:
                for row in rows(snap):
                    fh.write(json.dumps(row) + "\n")
    if not snaps:
        ctx.console.print("No snapshot had candidates (regular two-way contacts) with a full "
                          "horizon after it; nothing to evaluate.")
        return 1
    results = [evaluate_track(snaps, t, boot=args.boot) for t in ("A", "B")]
    ctx.console.print(render(results, snaps, args), markup=False, highlight=False)
    return 0


def render(results: list[TrackResult], snaps: list[Snapshot], args: argparse.Namespace) -> str:
    """The table (plain text, pasteable into the README)."""
    first = min(s.as_of for s in snaps).date()
    last = max(s.as_of for s in snaps).date()
    lines = [f"Backtest: {len({s.owner for s in snaps})} owners, snapshots {first}..{last} "
             f"every {args.every.days}d, horizon {args.horizon.days}d; "
             "95% bootstrap intervals over owners", ""]
    lines.append("| track | method    | ROC AUC               | precision@5           |")
    lines.append("|-------|-----------|-----------------------|-----------------------|")
    for r in results:
        for m in METHODS:
            lines.append(f"| {r.track:<5} | {m:<9} | {r.auc[m]!s:<21} | {r.precision[m]!s:<21} |")
    lines.append("")
    for r in results:
        beaten = all(r.auc["model"].value > r.auc[m].value for m in METHODS[1:])
        lines.append(f"track {r.track}: {r.rows} candidate rows, {r.lapsed} lapsed, "
                     f"{r.snapshots} owner-snapshots, {r.owners} owners; model beats every "
                     f"baseline on AUC: {'yes' if beaten else 'NO'}")
    lines += ["", "Reliability of the model's risk (track A, by decile):", "",
              "| risk from | mean predicted | observed lapse | rows |",
              "|-----------|----------------|----------------|------|"]
    for low, pred, obs, n in reliability(snaps):
        lines.append(f"| {low:9.3f} | {pred:14.3f} | {obs:14.3f} | {n:4d} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (used by bench/enron_backtest.py): stores must be given."""
    p = argparse.ArgumentParser(prog="keepwarm backtest")
    add_arguments(p)
    args = p.parse_args(argv)

    class _Ctx:  # the bits of daemon.context.Context the handler uses
        console = Console(highlight=False, width=200, file=sys.stdout)

        def store(self) -> Store:
            raise ConfigError(["no store given"], hint="pass --store FILE or --stores DIR")

    return handler(args, _Ctx())
