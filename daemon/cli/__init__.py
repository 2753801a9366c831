"""The command line: parse arguments, run one command group, render every error once.

Entry point ``main`` (the ``keepwarm`` console script) and ``parser``, in :mod:`daemon.cli.main`.
One module per command group (``core``: init, config, db, sync, status, purge, auth;
``contacts``, ``report``, ``snooze``, ``demo``, ``ignore``, ``backtest``; ``service``: run,
send-summary, doctor, service), each offering ``register(subparsers)``; handlers take
``(args, ctx)`` (:mod:`daemon.cli.context`) and return an exit code. Heavy rooms (the model,
the summary, the scheduler) are imported inside handlers so that start-up stays light.
"""

from daemon.cli.main import main, parser

__all__ = ["main", "parser"]
