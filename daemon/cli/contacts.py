"""``keepwarm contacts``: who you talk to, how often and when last; ``--duplicates`` suggestions."""

from __future__ import annotations

import argparse

from daemon.cli.context import Context


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("contacts", help="who you talk to, how often, and when last")
    p.add_argument("--limit", type=_positive, default=50, help="rows to show (default 50)")
    p.add_argument("--duplicates", action="store_true",
                   help="suggest identity groups for [[people]] (never merged silently)")
    p.set_defaults(func=cmd_contacts)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def cmd_contacts(args: argparse.Namespace, ctx: Context) -> int:
    from rich.table import Table

    from daemon.store.contacts import contact_rows, suggested_groups

    if args.duplicates:
        groups = suggested_groups(ctx.db())
        for why, addresses in groups:
            quoted = ", ".join(f'"{a}"' for a in addresses)
            ctx.console.print(f"# {why}\n[[people]]\naddresses = [{quoted}]\n")
        if not groups:
            ctx.console.print("no likely duplicates found")
        return 0
    rows = contact_rows(ctx.db(), args.limit)
    table = Table("contact", "in", "out", "meetings", "last contact", "first seen")
    for r in rows:
        label = f"{r.name} <{r.address}>" if r.name else r.address
        table.add_row(label, str(r.inbound), str(r.outbound), str(r.meetings),
                      f"{r.last:%Y-%m-%d}" if r.last else "-",
                      f"{r.first:%Y-%m-%d}" if r.first else "-")
    ctx.console.print(table)
    return 0
