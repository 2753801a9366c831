"""``keepwarm snooze ADDRESS [DURATION]`` and ``keepwarm unsnooze ADDRESS``, kept in the store.

A snoozed contact is left out of the summary until the snooze ends (``forever``: until
unsnoozed). Without an address, ``keepwarm snooze`` lists the snoozes in force.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from daemon.cli.context import Context
from daemon.config import parse_duration as config_parse_duration
from daemon.errors import UsageError
from daemon.store import Store
from daemon.store.models import Snooze
from daemon.sync.addresses import normalise, valid

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


def parse_duration(spec: str) -> timedelta | None:
    """``2w``, ``30d``, ``3m`` (30 days), ``1y`` (365 days); None for ``forever``."""
    text = spec.strip().lower()
    if text in FOREVER:
        return None
    try:
        duration = config_parse_duration(text)
    except ValueError:
        duration = timedelta(0)
    if not duration:
        raise UsageError(f"cannot read duration {spec!r}",
                         hint="use a number and d, w, m or y (e.g. 2w, 30d, 3m), or forever")
    return duration


def _address(raw: str) -> str:
    address = normalise(raw)
    if not valid(address):
        raise UsageError(f"{raw!r} is not an email address", hint="e.g. keepwarm snooze "
                         "ada@example.com 4w")
    return address


def snooze(store: Store, address: str, duration: timedelta | None,
           now: datetime | None = None) -> datetime | None:
    """Snooze ``address`` (normalised) from ``now`` for ``duration``; return the end."""
    address = _address(address)
    until = None if duration is None else (now or datetime.now(UTC)) + duration
    with store.transaction() as s:
        row = s.execute(select(Snooze).where(Snooze.address == address)).scalar()
        if row is None:
            s.add(Snooze(address=address, until=until))
        else:
            row.until = until
    return until


def unsnooze(store: Store, address: str) -> bool:
    """End the snooze of ``address``; False when there was none."""
    address = _address(address)
    with store.transaction() as s:
        result = s.execute(delete(Snooze).where(Snooze.address == address))
        return bool(getattr(result, "rowcount", 0))


def snoozes(store: Store, now: datetime | None = None) -> list[tuple[str, datetime | None]]:
    """(address, until) of the snoozes in force at ``now``, by address."""
    now = now or datetime.now(UTC)
    with store.session() as s:
        rows = s.execute(select(Snooze.address, Snooze.until).order_by(Snooze.address))
        return [(a, u) for a, u in rows if u is None or u > now]


def _when(until: datetime | None) -> str:
    return "until you unsnooze" if until is None else f"until {until:%Y-%m-%d %H:%M} UTC"


def run_snooze(args: argparse.Namespace, ctx: Context) -> int:
    if args.address is None:
        rows = snoozes(ctx.store())
        for address, until in rows:
            print(f"{address}\t{_when(until)}")
        if not rows:
            print("Nobody is snoozed.")
        return 0
    until = snooze(ctx.store(), args.address, parse_duration(args.duration))
    print(f"Snoozed {normalise(args.address)} {_when(until)}.")
    return 0


def run_unsnooze(args: argparse.Namespace, ctx: Context) -> int:
    address = normalise(args.address)
    if unsnooze(ctx.store(), args.address):
        print(f"Unsnoozed {address}.")
    else:
        print(f"{address} was not snoozed.")
    return 0
