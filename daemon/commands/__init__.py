"""CLI command groups. Each module offers ``register(subparsers)``; each handler takes
``(args, ctx)`` and returns an exit code (0 ok, 1 runtime failure, 2 usage or config error)."""

MODULES = [
    "daemon.commands.core",
    "daemon.commands.contacts",
    "daemon.commands.report",
    "daemon.commands.snooze",
    "daemon.commands.demo",
    "daemon.commands.ignore",
    "daemon.commands.backtest",
    "daemon.commands.daemon",
]
