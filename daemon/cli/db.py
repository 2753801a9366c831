"""``keepwarm db export`` and ``keepwarm db import``: carry snoozes and the sent-summary ledger
from one store (a damaged one too) to another. The rest of the store ``keepwarm sync``
rebuilds from the mailboxes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from daemon.cli.context import Context
from daemon.errors import StoreError, UsageError


def register(db_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``export`` and ``import`` under ``keepwarm db``."""
    p = db_sub.add_parser("export", help="save snoozes and the sent-summary ledger as JSON "
                          "(to FILE, mode 0600, or standard output); reads a damaged store "
                          "as far as it can")
    p.add_argument("file", nargs="?", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_export)
    p = db_sub.add_parser("import", help="add what `db export` saved to this store (rows "
                          "already there are kept; importing twice changes nothing)")
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_import)


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.paths import write_atomic
    from daemon.store import Store
    from daemon.store.export import dumps, save

    url = ctx.config.store_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise StoreError(f"no store at {url.removeprefix('sqlite:///')}",
                         hint="check [store] url")
    # A damaged or older store is read as it is. The rows saved are those of the member the
    # command acts for.
    store = Store(url, migrate=False, member=ctx.config.member)
    try:
        saved = save(store)
    finally:
        store.dispose()
    tables = saved.data.keys() - {"format"}
    if saved.error is not None and saved.unreadable.keys() == tables and not any(
            saved.data[t] for t in saved.unreadable):  # not one row of any table
        _nothing_read(saved.error, url)
    for table, why in saved.unreadable.items():
        print(f"keepwarm: warning: {table}: read {len(saved.data[table])} rows, the rest is "
              f"unreadable ({why})", file=sys.stderr)
    text = dumps(saved.data)
    if args.file is None:
        sys.stdout.write(text)
        return 0
    write_atomic(args.file, text, mode=0o600)
    ctx.console.print(f"saved {len(saved.data['snoozes'])} snoozes and "
                      f"{len(saved.data['sent_summaries'])} sent-summary weeks to {args.file}")
    return 0


def _nothing_read(exc: Exception, url: str) -> None:
    """Not one row could be read: a damaged store has nothing left to save; any other fault
    (not a database, no server) is said as every command says it."""
    from daemon.store import faults

    fault = faults.explain(exc, url)
    if "damaged" not in str(fault):
        raise fault
    raise StoreError(f"nothing can be read from the store {faults.store_name(url)} "
                     "(database disk image is malformed)", hint="restore it from a backup, "
                     "or move it aside and run keepwarm sync (snoozes and the sent-summary "
                     "ledger are then lost)")


def cmd_import(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.store.export import restore

    try:
        data = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {args.file}: {exc}") from None
    try:
        snoozes, weeks, ignores, kept = restore(ctx.store(), data)
    except ValueError as exc:
        raise UsageError(f"{args.file}: {exc}", hint="give a file `keepwarm db export` "
                         "wrote") from None
    ctx.console.print(f"added {snoozes} snoozes, {weeks} sent-summary weeks and {ignores} "
                      f"ignores added by mail; {kept} were already there")
    return 0
