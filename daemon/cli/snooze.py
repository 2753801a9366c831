"""``keepwarm snooze ADDRESS [DURATION]`` and ``keepwarm unsnooze ADDRESS``, kept in the store.

A snoozed contact is left out of the summary until the snooze ends (``forever``: until
unsnoozed). Without an address, ``keepwarm snooze`` lists the snoozes in force.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from daemon.cli.context import Context
from daemon.errors import UsageError

if TYPE_CHECKING:
    from daemon.store.sql import Db

DEFAULT = "4w"
FOREVER = ("forever", "never", "always")


def register(sub: Any) -> None:
    """Add ``snooze`` and ``unsnooze`` to the CLI."""
    p = sub.add_parser("snooze", help="leave someone out of the summary for a while",
                       description="Leave ADDRESS out of the summary for DURATION (default "
                       f"{DEFAULT}; e.g. 2w, 30d, 3m, 1y, forever). Without ADDRESS: list.")
    p.add_argument("address", nargs="?", metavar="ADDRESS")
    p.add_argument("duration", nargs="?", default=DEFAULT, metavar="DURATION")
    p.set_defaults(func=run_snooze)
    u = sub.add_parser("unsnooze", help="end a snooze",
                       description="Show ADDRESS in the summary again.")
    u.add_argument("address", metavar="ADDRESS")
    u.set_defaults(func=run_unsnooze)


def duration_or_forever(spec: str) -> timedelta | None:
    """DURATION read by the config's parser (``2w``, ``30d``, ``3m`` months of 30 days, ``1y``),
    in any case; None for ``forever``."""
    from daemon.clock import parse_duration

    text = spec.strip().lower()
    if text in FOREVER:
        return None
    try:
        duration = parse_duration(text)
    except ValueError:
        duration = timedelta(0)
    if not duration:
        raise UsageError(f"cannot read duration {spec!r}",
                         hint="use a number and d, w, m or y (e.g. 2w, 30d, 3m), or forever")
    return duration


def _address(raw: str) -> str:
    from daemon.sync.addresses import normalise, valid

    address = normalise(raw)
    if not valid(address):
        raise UsageError(f"{raw!r} is not an email address", hint="e.g. keepwarm snooze "
                         "ada@example.com 4w")
    return address


def snooze(store: Db, address: str, duration: timedelta | None,
           now: datetime | None = None) -> datetime | None:
    """Snooze ``address`` (normalised) from ``now`` for ``duration``; return the end."""
    from daemon.clock import now_utc
    from daemon.store import snoozes

    address = _address(address)
    until = None if duration is None else (now or now_utc()) + duration
    snoozes.add(store, address, until)
    return until


def unsnooze(store: Db, address: str) -> bool:
    """End the snooze of ``address``; False when there was none."""
    from daemon.store import snoozes

    return snoozes.remove(store, _address(address))


def _when(until: datetime | None) -> str:
    return "until you unsnooze" if until is None else f"until {until:%Y-%m-%d %H:%M} UTC"


def run_snooze(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.clock import now_utc
    from daemon.store import snoozes
    from daemon.sync.addresses import normalise

    if args.address is None:
        rows = snoozes.active(ctx.db(), now_utc())
        for address, until in rows.items():
            print(f"{address}\t{_when(until)}")
        if not rows:
            print("Nobody is snoozed.")
        return 0
    until = snooze(ctx.db(), args.address, duration_or_forever(args.duration))
    print(f"Snoozed {normalise(args.address)} {_when(until)}.")
    return 0


def run_unsnooze(args: argparse.Namespace, ctx: Context) -> int:
    from daemon.sync.addresses import normalise

    address = normalise(args.address)
    if unsnooze(ctx.db(), args.address):
        print(f"Unsnoozed {address}.")
    else:
        print(f"{address} was not snoozed.")
    return 0
