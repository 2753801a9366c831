"""``keepwarm ignore check``: the dry run of the ``[ignore]`` rules against the store."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("ignore", help="inspect the [ignore] rules")
    isub = p.add_subparsers(dest="ignore_command", metavar="ACTION")
    c = isub.add_parser("check", help="show what each [ignore] rule hides (dry run)")
    c.add_argument("--top", type=int, default=5, help="names shown per rule (default 5)")
    c.set_defaults(func=run_check)
    p.set_defaults(func=lambda args, ctx: (p.print_help(), 2)[1])


def run_check(args: argparse.Namespace, ctx: Any) -> int:
    """Print one row per rule: contacts and touchpoints hidden, and the top names."""
    from rich.table import Table

    from daemon.model import ignore

    settings = ctx.config.ignore
    results = ignore.check(ctx.store(), settings, top=args.top)
    if not results:
        ctx.console.print("No [ignore] rules configured; nothing is hidden.")
        return 0
    table = Table(title="What each [ignore] rule hides")
    for col in ("rule", "contacts", "touchpoints", "top names"):
        table.add_column(col, justify="right" if col in ("contacts", "touchpoints") else "left")
    for r in results:
        names = ", ".join(f"{n or a} ({c})" for a, n, c in r.top) or "-"
        table.add_row(r.rule.label, str(r.contacts), str(r.touchpoints), names)
    ctx.console.print(table)
    broad = [r for r in results if r.contacts >= 50]
    for r in broad:
        ctx.console.print(f"warning: {r.rule.label} hides {r.contacts} contacts; "
                          "check it does not hide people you care about.")
    return 0
