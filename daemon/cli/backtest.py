"""``keepwarm backtest``: replay stores snapshot by snapshot and print how well the model ranks
the relationships that really lapsed, against the recency, frequency and gap-ratio baselines.

One store is one owner. Default: the configured store. ``--store URL_OR_FILE`` (repeatable)
pools several owners; ``--stores DIR`` takes every ``*.sqlite`` file in a folder (the owner is
the file name without extension).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daemon.errors import ConfigError

if TYPE_CHECKING:
    from daemon.store import Store


def _duration(text: str) -> timedelta:
    from daemon.config import parse_duration

    try:
        return parse_duration(text)
    except ValueError:
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


def handler(args: argparse.Namespace, ctx: Any) -> int:
    """Run the backtest and print the table; 1 when there is nothing to evaluate."""
    from daemon.cli.backtest_table import run  # numpy and the model load only when asked for

    return run(args, ctx)


def register(sub: Any) -> None:
    p = sub.add_parser("backtest", help="check the ranking against what really happened")
    add_arguments(p)
    p.set_defaults(func=handler, needs_config=False)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (used by bench/enron_backtest.py): stores must be given."""
    from rich.console import Console

    p = argparse.ArgumentParser(prog="keepwarm backtest")
    add_arguments(p)
    args = p.parse_args(argv)

    class _Ctx:  # the bits of daemon.cli.context.Context the handler uses
        console = Console(highlight=False, width=200, file=sys.stdout)

        def store(self) -> Store:
            raise ConfigError(["no store given"], hint="pass --store FILE or --stores DIR")

    return handler(args, _Ctx())
