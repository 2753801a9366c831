"""``keepwarm report``: print or write the weekly summary as text, HTML, JSON or an .eml file."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, time
from pathlib import Path
from typing import Any

from daemon.cli.context import Context
from daemon.errors import UsageError

FORMATS = ("text", "html", "json", "eml")


def register(sub: Any) -> None:
    """Add ``report`` to the CLI."""
    p = sub.add_parser("report", help="print or write the weekly summary",
                       description="Print the weekly summary, or write it with --out.")
    add_output_options(p)
    p.set_defaults(func=run)


def add_output_options(p: argparse.ArgumentParser) -> None:
    """--as-of, --format, --out and --all (shared with ``keepwarm demo``)."""
    p.add_argument("--as-of", metavar="DATE", help="summary as of DATE (YYYY-MM-DD or ISO "
                   "date-time; a date means midnight in [report] timezone; default: now)")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format "
                   "(default: text)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (atomically) "
                   "instead of standard output")
    p.add_argument("--all", action="store_true", help="list everyone in every section, with "
                   "no cap (JSON: also every scored contact with its risk)")


def parse_as_of(value: str | None, tz_name: str = "UTC") -> datetime:
    """An aware datetime from ``--as-of``; naive values are read in ``tz_name``."""
    from daemon.clock import now_utc, zone

    if value is None:
        return now_utc()
    tz = zone(tz_name)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"--as-of: cannot read {value!r}",
                         hint="use YYYY-MM-DD or YYYY-MM-DDTHH:MM[+HH:MM]") from None
    if len(value.strip()) == 10:  # a bare date: the start of that day
        parsed = datetime.combine(parsed.date(), time(0), tzinfo=tz)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def rendered(summary: Any, fmt: str, everyone: bool = False) -> str:
    """The summary in format ``fmt`` (eml as the full RFC 5322 message)."""
    from daemon.summary.message import summary_message
    from daemon.summary.render import render_html, render_json, render_text

    if fmt == "html":
        return render_html(summary)
    if fmt == "json":
        return render_json(summary, everyone=everyone)
    if fmt == "eml":
        return summary_message(summary).as_string()
    return render_text(summary)


def emit(text: str, out: Path | None) -> None:
    """Write to ``out`` atomically (mode 0600: it names people), or print to standard output."""
    from daemon.paths import write_atomic

    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomic(out, text, mode=0o600)
    print(f"keepwarm: wrote {out}", file=sys.stderr)


def run(args: argparse.Namespace, ctx: Context) -> int:
    """Build the summary for the configured store and print or write it."""
    from daemon.cli import heap

    with heap.loading():  # the model's and the store's modules: no garbage, no collection
        from daemon.summary.gather import build_summary

        config = ctx.config
        store = ctx.store()
    as_of = parse_as_of(args.as_of, config.report.timezone)
    with heap.settled():  # full collections walk only what the report makes
        summary = build_summary(store, config, as_of, full=args.all, state_dir=ctx.state_dir)
        emit(rendered(summary, args.format, args.all), args.out)
    return 0
