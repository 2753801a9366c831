"""``keepwarm demo``: the weekly summary of a seeded, synthetic mailbox, with no setup at all."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from daemon.cli.context import Context
from daemon.cli.report import FORMATS, emit, parse_as_of, rendered
from daemon.errors import UsageError


def register(sub: Any) -> None:
    """Add ``demo`` to the CLI (it needs no config file)."""
    p = sub.add_parser("demo", help="show the weekly summary of a built-in demo mailbox",
                       description="Invent a realistic two-year mailbox and calendar (seeded), "
                       "import them into a throwaway store and print the weekly summary.")
    p.add_argument("--seed", type=int, default=7, help="history seed (default: 7)")
    p.add_argument("--keep", type=Path, metavar="DIR", help="keep the demo mbox, .ics, store "
                   "and a config.toml in DIR")
    p.add_argument("--as-of", metavar="DATE", help="as-of date (default: now)")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead")
    p.add_argument("--all", action="store_true", help="JSON: every scored contact")
    p.set_defaults(func=run, needs_config=False)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Run the demo and print (or write) its summary."""
    from daemon.clock import now_utc
    from daemon.demo.run import run_demo

    as_of = parse_as_of(args.as_of, "UTC")
    if as_of > now_utc() + timedelta(days=1):
        raise UsageError("--as-of is in the future", hint="mail dated after today is "
                         "treated as implausible; use a date up to today")
    demo = run_demo(args.seed, as_of, args.keep, args.all)
    emit(rendered(demo.summary, args.format, args.all), args.out)
    if demo.folder is not None:
        print(f"keepwarm: demo kept in {demo.folder} (try: keepwarm --config "
              f"{demo.folder / 'config.toml'} report)", file=sys.stderr)
    return 0
