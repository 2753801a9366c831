"""``keepwarm ignore check``: the dry run of the ``[ignore]`` rules (and of the ignores added by
mail, kept in the store) against the store, then what Keepwarm leaves out by itself (lists,
role addresses, robots), each with its reason. ``keepwarm ignore list`` shows both kinds of
rule, saying which is which; ``keepwarm ignore unignore`` undoes one added by mail."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser("ignore", help="inspect the [ignore] rules")
    isub = p.add_subparsers(dest="ignore_command", metavar="ACTION")
    c = isub.add_parser("check", help="show what each [ignore] rule hides (dry run)")
    c.add_argument("--top", type=int, default=5, help="names shown per rule (default 5)")
    c.add_argument("--limit", type=int, default=10,
                   help="lists and robots shown per kind (default 10; 0: all)")
    c.set_defaults(func=run_check)
    lst = isub.add_parser("list", help="list the config's ignore rules and those added by mail")
    lst.set_defaults(func=run_list)
    un = isub.add_parser("unignore", help="stop ignoring an address or domain ignored by mail")
    un.add_argument("target", metavar="ADDRESS|DOMAIN")
    un.set_defaults(func=run_unignore)
    p.set_defaults(func=lambda args, ctx: (p.print_help(), 2)[1])


def run_check(args: argparse.Namespace, ctx: Any) -> int:
    """Print one row per rule (contacts and touchpoints hidden, the top names), then the lists
    and robots left out by themselves, one line each with the reason."""
    from daemon.model import ignore
    from daemon.model.hidden import with_stored

    settings = with_stored(ctx.config.ignore, ctx.store())
    results = ignore.check(ctx.store(), settings, top=args.top)
    stored = _stored_rules(ctx)
    for r in results:  # say which rules came by mail: they are not in the config file
        if (r.rule.kind, r.rule.value) in stored:
            r.rule = ignore.Rule(r.rule.kind, r.rule.value, "mail")
    if not results:
        ctx.console.print("No [ignore] rules configured.", markup=False)
    else:
        _rules_table(ctx, results)
    _not_people(ctx, getattr(args, "limit", 10))
    return 0


def _rules_table(ctx: Any, results: list[Any]) -> None:
    from rich.table import Table

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


def _stored_rules(ctx: Any) -> set[tuple[str, str]]:
    from daemon.store import ignores

    return {(kind, value) for kind, value, _ in ignores.listed(ctx.store())}


def run_list(args: argparse.Namespace, ctx: Any) -> int:
    """One line per rule: its kind, its value, and where it lives (config file or store)."""
    from daemon.store import ignores

    settings, out = ctx.config.ignore, ctx.console
    rows = ([("address", a, "config") for a in settings.addresses]
            + [("domain", d, "config") for d in settings.domains]
            + [("pattern", p, "config") for p in settings.patterns]  # the config's, as written
            + [(k, v, f"by mail, {at:%Y-%m-%d}") for k, v, at in ignores.listed(ctx.store())])
    if not rows:
        out.print("Nothing is ignored.", markup=False)
    for kind, value, where in rows:
        out.print(f"{kind:8}{value}  ({where})", markup=False, highlight=False, soft_wrap=True)
    if any(w == "config" for *_, w in rows):
        out.print("Config rules are edited in [ignore] of your config file; those added by mail "
                  "are undone with: keepwarm ignore unignore ADDRESS|DOMAIN", markup=False)
    return 0


def run_unignore(args: argparse.Namespace, ctx: Any) -> int:
    """Remove an ignore added by mail; for a config rule, say to edit the config file."""
    from daemon.errors import UsageError
    from daemon.store import ignores

    target = args.target.strip().lower().lstrip("@")
    if ignores.remove(ctx.store(), target):
        ctx.console.print(f"No longer ignoring {target}.", markup=False)
        return 0
    settings = ctx.config.ignore
    if target in {v.lower().lstrip("@") for v in (*settings.addresses, *settings.domains,
                                                   *settings.patterns)}:
        raise UsageError(f"{target} is ignored by your config file, not by mail",
                         hint=f"remove it from [ignore] in {ctx.config_path}")
    raise UsageError(f"{target} is not ignored", hint="keepwarm ignore list shows what is")


TITLES = {"list": "lists, group or role addresses", "automated": "automated senders"}


def _not_people(ctx: Any, limit: int) -> None:
    """One line per address left out as a list or a robot, and why; at most ``limit`` per
    kind, then how many more; then how to keep one."""
    from daemon.clock import now_utc
    from daemon.model.roles import explain

    rows = explain(ctx.store(), now_utc(), ctx.config.ignore.keep)
    if not rows:
        ctx.console.print("No address was treated as a list or an automated sender.")
        return
    for kind, title in TITLES.items():
        mine = [r for r in rows if r.kind == kind]
        ctx.console.print(f"\nLeft out as {title}: {len(mine)}", markup=False)
        shown = mine if limit <= 0 else mine[:limit]
        for r in shown:
            ctx.console.print(f"  {r.address}: {r.reason}", markup=False, highlight=False,
                              soft_wrap=True)
        if len(mine) > len(shown):
            ctx.console.print(f"  and {len(mine) - len(shown)} more (--limit 0 lists all)")
    ctx.console.print("\nA person among them? Add the address to [ignore] keep = [...] in your "
                      "config file, or group it with their other address in [[people]].",
                      markup=False)
