"""The backtest as a command does it: find the stores, replay them, render the table.

Kept apart from ``daemon.cli.backtest`` so that building the CLI never imports numpy.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from daemon.errors import ConfigError
from daemon.model.backtest import (
    BASELINES,
    METHODS,
    MODELS,
    Snapshot,
    rows,
    snapshot_times,
    snapshots,
)
from daemon.model.load import load
from daemon.model.metrics import TrackResult, evaluate_track, reliability
from daemon.store import Store
from daemon.store.db import sqlite_url


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


def run(args: argparse.Namespace, ctx: Any) -> int:
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
        for m in (m for m in METHODS if m in r.auc):
            lines.append(f"| {r.track:<5} | {m:<9} | {r.auc[m]!s:<21} | {r.precision[m]!s:<21} |")
    lines.append("")
    for r in results:
        beats = "; ".join(
            f"{m} beats every baseline on AUC: "
            f"{'yes' if all(r.auc[m].value > r.auc[b].value for b in BASELINES) else 'NO'}"
            for m in MODELS if m in r.auc)
        lines.append(f"track {r.track}: {r.rows} candidate rows, {r.lapsed} lapsed, "
                     f"{r.snapshots} owner-snapshots, {r.owners} owners; {beats}")
    for m in (m for m in MODELS if all(m in s.scores for s in snaps)):
        lines += ["", f"Reliability of the {m} risk (track A, by decile):", "",
                  "| risk from | mean predicted | observed lapse | rows |",
                  "|-----------|----------------|----------------|------|"]
        for low, pred, obs, n in reliability(snaps, method=m):
            lines.append(f"| {low:9.3f} | {pred:14.3f} | {obs:14.3f} | {n:4d} |")
    return "\n".join(lines)
