"""Set-up and sync commands: init, config check, db upgrade, sync, status, purge, auth."""

from __future__ import annotations

import argparse
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from daemon.cli import db as db_io
from daemon.cli.context import Context
from daemon.errors import ConfigError, UsageError, with_fix

if TYPE_CHECKING:
    from daemon.cli.snapshot import Settings
    from daemon.config import Config


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help="write a starter config file (never overwrites); on a "
                       "terminal it asks for your addresses and offers the sources it finds")
    p.add_argument("--yes", action="store_true", help="ask nothing: write the commented template")
    p.set_defaults(func=cmd_init, needs_config=False)
    cfg = sub.add_parser("config", help="work with the config file")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    cfg_sub.add_parser("check", help="validate it and print the resolved configuration"
                       ).set_defaults(func=cmd_config_check)
    db = sub.add_parser("db", help="store maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="apply pending schema migrations"
                      ).set_defaults(func=cmd_db_upgrade)
    db_io.register(db_sub)  # export, import
    p = sub.add_parser("sync", help="sync every account, or the one named, now")
    p.add_argument("account", nargs="?")
    p.set_defaults(func=cmd_sync)
    sub.add_parser("status", help="accounts, streams, counts, last sync, errors"
                   ).set_defaults(func=cmd_status)
    p = sub.add_parser("purge", help="delete touchpoints older than a date")
    p.add_argument("--before", required=True, type=_date, metavar="YYYY-MM-DD")
    p.set_defaults(func=cmd_purge)
    p = sub.add_parser("auth", help="sign in to a google or microsoft account")
    p.add_argument("account")
    p.set_defaults(func=cmd_auth)


def _date(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.cli.init import run

    return run(ctx.config_path, assume_yes=args.yes)


def cmd_config_check(args: argparse.Namespace, ctx: Context) -> int:
    import json

    from daemon.config.sanity import missing_paths, placeholders
    from daemon.store.db import masked_url

    config = ctx.config
    for problem in placeholders(config):  # valid, but not yours: say so, do not fail
        ctx.console.print(f"warning: {problem}: put your own address there")
    missing = missing_paths(config)
    if missing:  # a typo in a path would sync nothing, quietly, every 15 minutes
        raise ConfigError(missing, hint="fix the path, or set enabled = false on that account")
    data = config.model_dump(mode="json", exclude={"path"})
    for table in (data, *data["members"]):
        if table["delivery"].get("password_env"):
            table["delivery"]["password_env"] = "***"
        if table["store"].get("url"):
            table["store"]["url"] = masked_url(table["store"]["url"])
    ctx.console.print(f"{ctx.config_path}: OK")
    if config.members:
        accounts = sum(len(m.accounts) for m in config.members)
        ctx.console.print(f"{len(config.members)} members, {accounts} accounts")
    ctx.console.print_json(json.dumps(data))
    return 0


def cmd_db_upgrade(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store()
    current, head = store.revision()
    ctx.console.print(f"store at revision {current} (head {head})")
    return 0


def cmd_sync(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.cli import heap

    with heap.loading():  # ~300k objects load here, and no garbage: no collection (~40 ms)
        from daemon.service import manual
        from daemon.store.vocab import AccountStatus
        from daemon.sync.progress import Progress

        members = ctx.team()
        if args.account:
            config, name = _owner(ctx, args.account)
            members, args.account = (config,), name
        store, env = ctx.store(), ctx.env
    progress, interrupted = Progress(), threading.Event()
    try:  # each account under its sync lease, as a daemon's job: never beside a replica's
        with heap.settled():  # full collections walk only what the sync makes
            results, skipped = manual.sync(store, members, env, progress, args.account,
                                           interrupted)
    finally:
        progress.close()
    for r in results:
        streams = ", ".join(f"{s.key}: {s.records} records, {s.touchpoints} touchpoints"
                            + (f", {sum(s.skipped.values())} skipped" if s.skipped else "")
                            for s in r.streams)
        ctx.say(f"{r.name}: {r.status}" + (f" ({streams})" if streams else "")
                + (", stopped: `keepwarm sync` goes on from here"
                   if r.stopped and interrupted.is_set() else ""))
        if r.error:
            ctx.say(f"  {with_fix(r.error, r.fix)}")
    for skip in skipped:
        ctx.say(skip.line())
    if interrupted.is_set():
        return 130  # Ctrl-C, as a shell expects
    return 0 if all(r.status == AccountStatus.OK for r in results) else 1


def _owner(ctx: Context, name: str) -> tuple[Config, str]:
    """The member config holding account ``name`` and the account's full name: under
    ``--member`` the name may leave out the member (``work`` for ``alice.work``); without,
    a team's account is named in full."""
    for config in ctx.team():
        for full in (name, f"{config.member}.{name}"):
            if config.account(full) is not None and (full == name or ctx.member):
                return config, full
    if ctx.file_config.members and not ctx.member and "." not in name:
        raise ctx.name_the_member(ctx.file_config)
    names = ", ".join(a.name for c in ctx.team() for a in c.accounts) or "none configured"
    raise UsageError(f"no account named {name!r} (accounts: {names})")


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from rich.table import Table

    from daemon.store.health import StreamState, sync_state

    table = Table("account", "status", "stream", "cursor", "records", "touchpoints", "skipped",
                  "last success", "error")
    members = ctx.team_settings()
    accounts = list({acc.name: acc for m in members for acc in sync_state(ctx.db(m.member))
                     }.values())  # one row per account, whichever member's view holds it
    for acc in accounts:
        streams: list[StreamState | None] = [*acc.streams]
        for st in streams or [None]:
            table.add_row(
                acc.name, acc.status, st.key if st else "-",
                ("resumable" if st.resumable else "from start") if st else "-",
                str(st.records) if st else "-", str(st.touchpoints) if st else "-",
                _skips(st.skipped) if st else "-", _when(acc.last_success_at),
                with_fix(acc.last_error, acc.fix) if acc.last_error else "")
    configured = {name for m in members for name in m.accounts}
    ctx.console.print(table)
    for name in sorted(configured - {acc.name for acc in accounts}):
        ctx.console.print(f"{name}: configured, never synced (keepwarm sync {name})")
    for member in members:
        _delivery_status(ctx, member, len(members) > 1 or bool(ctx.file_settings.members))
    _replicas_status(ctx)
    return 0


def _replicas_status(ctx: Context) -> None:
    """Which replica holds which lease since when, and each member's latest summary (shown
    when replicas or several members share the store)."""
    from daemon.clock import now_utc
    from daemon.store import replicas

    found = replicas.lines(ctx.db(), now_utc())
    if any(not line.startswith("summary of me:") for line in found):
        for line in found:
            ctx.console.print(line)


def _delivery_status(ctx: Context, member: Settings, named: bool) -> None:
    """The weekly summary's last delivery attempt, its error and the next attempt (for a
    team, each line names the member)."""
    from daemon.clock import now_utc
    from daemon.summary import attempts

    now = now_utc()
    db = ctx.db(member.member)
    found = attempts.this_week(member, db, now)
    for _, text in [*([found] if found else []), *attempts.missed_weeks(member, db, now)]:
        ctx.console.print(f"{member.member}: {text}" if named else text)


def _skips(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "0"


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "never"


def cmd_purge(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.store.purge import purge

    gone = purge(ctx.store(), args.before)
    ctx.console.print(f"deleted {gone} items (and their touchpoints) before {args.before:%Y-%m-%d}")
    return 0


def cmd_auth(args: argparse.Namespace, ctx: Context) -> int:
    import connectors

    config = ctx.config
    account = config.account(args.account) or config.account(f"{config.member}.{args.account}")
    if account is None:
        raise UsageError(f"no account named {args.account!r} in {ctx.config_path}")
    note = connectors.no_sign_in(account)
    if note is not None:  # a file kind, or an account the organisation's service account serves
        ctx.console.print(f"{account.name}: {note}")
        return 0
    connectors.authorize(account, ctx.env)
    ctx.console.print(f"{account.name}: signed in; now run: keepwarm sync {account.name}")
    return 0
