"""The ``keepwarm`` command line: parse arguments, run one command, render every error once.

Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from daemon import __version__
from daemon.cli import heap
from daemon.cli.context import Context

MODULES = [  # command groups; each offers ``register(subparsers)``
    "daemon.cli.core",
    "daemon.cli.contacts",
    "daemon.cli.report",
    "daemon.cli.snooze",
    "daemon.cli.demo",
    "daemon.cli.ignore",
    "daemon.cli.backtest",
    "daemon.cli.service",
]
# Commands that show or change one person's data: a team config needs --member for these.
PER_MEMBER = frozenset({"report", "contacts", "snooze", "unsnooze", "ignore", "backtest",
                        "send-summary", "auth", "db export", "db import"})
QUIET_LOGGERS = ("googleapiclient", "google", "msal", "urllib3", "httpx", "httpcore",
                 "alembic", "apscheduler", "imapclient")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="keepwarm", description=(
        "Notices which professional relationships are quietly fading."))
    p.add_argument("--config", type=Path, help="config file (default: $KEEPWARM_CONFIG or "
                   "$XDG_CONFIG_HOME/keepwarm/config.toml)")
    p.add_argument("--member", metavar="NAME", default=os.environ.get("KEEPWARM_MEMBER"),
                   help="in a team config, the member whose data a command shows or changes "
                   "(default: $KEEPWARM_MEMBER)")
    p.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default) or ERROR")
    p.add_argument("--version", action="version", version=f"keepwarm {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in MODULES:
        importlib.import_module(name).register(sub)
    return p


def setup_logging(level: str | None) -> None:
    import logging

    logging.basicConfig(level=(level or "WARNING").upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET_LOGGERS:  # client libraries log request URLs (message ids) at DEBUG
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``keepwarm`` console script."""
    p = parser()
    args = p.parse_args(argv)  # --help and --version end here, before any import below
    if not getattr(args, "func", None):
        p.print_help()
        return 2
    from connectors.errors import ConnectorError
    from daemon.errors import KeepwarmError

    try:
        setup_logging(args.log_level)
    except ValueError:
        print(f"keepwarm: --log-level: unknown level {args.log_level!r}", file=sys.stderr)
        return 2
    command = " ".join(filter(None, (args.command, getattr(args, "db_command", None))))
    ctx = Context(args.config, require_config=getattr(args, "needs_config", True),
                  member=args.member, per_member=bool({args.command, command} & PER_MEMBER))
    try:
        return int(args.func(args, ctx) or 0)
    except KeepwarmError as exc:
        return _render(str(exc), exc.hint, exc.exit_code)
    except ConnectorError as exc:
        return _render(str(exc), exc.hint, 1)
    except Exception as exc:  # a store or file fault is one line; anything else is a bug
        from daemon.store import faults  # loads SQLAlchemy: only on this path

        if (fault := faults.explained(exc, ctx.store_url())) is None:
            raise
        return _render(str(fault), fault.hint, 1)
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()
        if argv is None:  # the process's own command line (not a test's call): it ends now
            heap.ending()


def _render(message: str, hint: str, code: int) -> int:
    """The one place errors reach a person: the message, then what to do about it."""
    print(f"keepwarm: error: {message}", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
    return code

