"""Service commands: run (the daemon), send-summary, doctor, service install/uninstall."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from daemon.cli.context import Context
from daemon.errors import UsageError

if TYPE_CHECKING:
    from connectors.base import Env

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run in the foreground: scheduled syncs and the weekly "
                       "summary (what the systemd service runs)")
    p.add_argument("--log-level", dest="run_log_level", type=str.upper, choices=LEVELS,
                   help="overrides [daemon] log_level (default INFO)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("send-summary", help="send this week's summary if it is owed")
    p.add_argument("--now", action="store_true",
                   help="send an extra copy now, whatever the schedule and the ledger say")
    p.add_argument("--dry-run", action="store_true",
                   help="print what would be sent and where; send nothing")
    p.set_defaults(func=cmd_send_summary)
    sub.add_parser("doctor", help="check the whole set-up; each line OK or what to fix"
                   ).set_defaults(func=cmd_doctor, needs_config=False)
    p = sub.add_parser("service", help="install or remove the systemd user service")
    ssub = p.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    ssub.add_parser("install", help="write ~/.config/systemd/user/keepwarm.service"
                    ).set_defaults(func=cmd_service_install, needs_config=False)
    ssub.add_parser("uninstall", help="remove the unit file"
                    ).set_defaults(func=cmd_service_uninstall, needs_config=False)


def daemon_env(ctx: Context) -> Env:
    """The connectors' env for unattended runs: never interactive (no browser sign-ins)."""
    from connectors.base import Env

    return Env(state_dir=ctx.state_dir, interactive=False)


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    import logging

    from daemon.service.children import Supervisor
    from daemon.service.loop import run

    config = ctx.config
    level = args.run_log_level or args.log_level or config.daemon.log_level
    logging.getLogger().setLevel(level.upper())
    if not logging.getLogger().handlers:  # called without daemon.cli.main
        logging.basicConfig(stream=sys.stderr, level=level.upper())
    migrate_apart(config.store_url)
    daemon = Supervisor(config, daemon_store(ctx), daemon_env(ctx))
    code = run(daemon, ctx.config_path)
    if code == 3:  # a job ignored the stop request: the committed pages are safe, leave now
        logging.shutdown()
        os._exit(code)
    return code


def daemon_store(ctx: Context) -> Any:
    """The daemon's own handle on its store, for its leases and the ledger's readers: stdlib
    ``sqlite3`` or psycopg alone when the store is current (the jobs' child processes open
    the full store), else the full store, which migrates or says what is wrong as before."""
    from daemon.store.light import open_light, open_postgres

    url, member = ctx.config.store_url, getattr(ctx.config, "member", "me")
    return open_light(url, member) or open_postgres(url, member) or ctx.store()


def migrate_apart(url: str) -> None:
    """Bring the store to the head revision in a short-lived child process, so that Alembic's
    machinery (about 10 MB), and SQLAlchemy itself, never stay loaded in the long-running
    daemon. A child that fails leaves the migration to the daemon itself, which reports why
    as any command would."""
    import multiprocessing

    from daemon.store.light import open_light, open_postgres

    probe = open_light(url) or open_postgres(url)  # None: not current, or not known so
    if probe is not None:
        probe.close()
        return
    child = multiprocessing.get_context("spawn").Process(target=_open_store, args=(url,),
                                                         name="keepwarm-migrate")
    child.start()
    child.join()


def _open_store(url: str) -> None:
    """In the child: open (and so migrate) the store; a failure is left to the parent."""
    from daemon.store import Store

    try:
        Store(url).dispose()
    except Exception:  # the daemon's own open repeats it and renders the error
        sys.exit(1)


def cmd_send_summary(args: argparse.Namespace, ctx: Context) -> int:
    import functools

    from daemon.clock import now_utc
    from daemon.summary import delivery, ledger

    config, store, env = ctx.config, ctx.store(), daemon_env(ctx)
    now = now_utc()
    label, slot = ledger.this_week(config.report, now)
    owed = ledger.owed(store, config.report, now)
    if args.dry_run:
        return _dry_run(ctx, now, owed, slot, label, args.now)
    if config.delivery.method == "none":
        raise UsageError('[delivery] method is "none"',
                         hint="set method = \"smtp\", \"file\", \"gmail\" or \"graph\"")
    if args.now:
        message = ledger.compose(store, config, now, extra=True)
        delivery.deliver(message, config, env, week=None)
        ctx.console.print(f"Sent an extra summary: {delivery.describe(config)} "
                          "(the weekly schedule is unchanged).")
        return 0
    # One attempt, no backoff: the person is waiting; a transient failure is left to the
    # daemon's retries (the ledger row says when).
    once = functools.partial(delivery.deliver, attempts=1)
    sent = ledger.send_owed(store, config, env, now, manual=True, deliver=once)
    if sent:
        ctx.console.print(f"Sent the summary of {sent}: {delivery.describe(config)}.")
    elif now < slot.astimezone(UTC):
        ctx.console.print(f"Not owed yet: this week's summary is due {ledger.show(slot)}. "
                          "Use --now to send one anyway.")
    elif ledger.is_sent(store, label):
        ctx.console.print(f"The summary of {label} was already sent. Use --now to send "
                          "another copy.")
    else:
        ctx.console.print(f"The summary of {label} is being sent by another process "
                          "right now.")
    return 0


def _dry_run(ctx: Context, now: datetime, owed: str | None, slot: datetime, label: str,
             force: bool) -> int:
    from daemon.summary import delivery, ledger

    config = ctx.config
    message = ledger.compose(ctx.store(), config, now, extra=force)
    if force or owed:
        what = "would send now"
    elif now < slot.astimezone(UTC):
        what = f"would send nothing now (due {ledger.show(slot)})"
    else:
        what = f"would send nothing ({label} already sent)"
    out = ctx.console.file
    print(f"{what}; delivery: {delivery.describe(config)}", file=out)
    for problem in delivery.problems(config):
        print(f"  problem: {problem}", file=out)
    for header in ("From", "To", "Subject", "Date"):
        print(f"{header}: {message[header]}", file=out)
    parts = [p.get_content_type() for p in message.walk() if not p.is_multipart()]
    print(f"Parts: {', '.join(parts)}", file=out)
    text = message.get_body(("plain",))
    if text is not None:
        print("", file=out)
        print(text.get_content(), file=out)
    return 0


def cmd_doctor(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.service import doctor

    checks = doctor.run(ctx.config_path, ctx.state_dir)
    for check in checks:
        print(check.line(), file=ctx.console.file)
    fixes = sum(1 for c in checks if c.level == "FIX")
    warns = sum(1 for c in checks if c.level == "WARN")
    print(f"{fixes} to fix, {warns} warning(s)", file=ctx.console.file)
    return 1 if fixes else 0


def cmd_service_install(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.paths import default_config_path
    from daemon.service import unit

    config = ctx.config if ctx.config_path.exists() else None
    given = ctx.config_path if ctx.config_path != default_config_path() else None
    path = unit.install(config, given)
    print(f"Wrote {path} (runs: {unit.command()} run). Enable it with:",
          file=ctx.console.file)
    for line in unit.ENABLE:
        print(f"  {line}", file=ctx.console.file)
    print("Logs: journalctl --user -u keepwarm", file=ctx.console.file)
    return 0


def cmd_service_uninstall(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.service import unit

    path = unit.unit_path()
    if not unit.uninstall():
        print(f"{path} is not installed.", file=ctx.console.file)
        return 0
    print(f"Removed {path}. If it is running, stop it and forget the unit with:",
          file=ctx.console.file)
    for line in ("systemctl --user stop keepwarm", "systemctl --user daemon-reload"):
        print(f"  {line}", file=ctx.console.file)
    return 0
