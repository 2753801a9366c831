"""The daemon's work, member by member: whose config, which view of the store, which leases.

A team config is one :class:`~daemon.config.Config` per member (``config.team()``; a single
user is a team of one, member ``me``). Each member's syncs and summary run on that member's
view of the one store (``store.scoped(member)``: same engine and pool). Each piece of work has
a lease name (:mod:`daemon.store.lease`): ``sync:<account>`` (account names are qualified
``<member>.<account>`` in a team, so globally unique) and ``summary:<member>``; and each job
an id in the scheduler, the same ids as before teams for a team of one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from daemon.config import Config
from daemon.service.tenancy import sync_lease as sync_lease  # its home: no summary import
from daemon.store import Store, lease
from daemon.store.sql import DEFAULT_MEMBER
from daemon.store.vocab import DeliveryStatus
from daemon.summary import claims, ledger
from daemon.sync.engine import Engine


@dataclass
class Member:
    """One member's part of the daemon: config, view of the store, sync engine."""

    name: str
    config: Config
    store: Store
    engine: Engine

    @property
    def summary_lease(self) -> str:
        return f"summary:{self.name}"

    def job_id(self, kind: str) -> str:
        """``summary``/``catch-up`` for the single user (as before teams), else
        ``summary:alice``."""
        return kind if self.name == DEFAULT_MEMBER else f"{kind}:{self.name}"

    def label(self, kind: str) -> str:
        return kind if self.name == DEFAULT_MEMBER else f"{kind} {self.name}"


def team(config: Config) -> tuple[Config, ...]:
    """One Config per member; a config without teams is a team of one."""
    return tuple(getattr(config, "team", lambda: (config,))())


def member_name(config: Config) -> str:
    """Whose config this is (``me`` for a single user)."""
    return str(getattr(config, "member", DEFAULT_MEMBER))


def members(config: Config, store: Store, engine: Callable[[Store, Config], Engine]
            ) -> dict[str, Member]:
    """Every member of ``config``, by name, each on its view of ``store``."""
    found: dict[str, Member] = {}
    for each in team(config):
        name = member_name(each)
        view = store if name == store.member else store.scoped(name)
        found[name] = Member(name, each, view, engine(view, each))
    return found


def orphaned(member: Member, now: datetime) -> bool:
    """This week's summary is ``sending`` while the member's summary lease has expired: its
    sender died mid-send, and whoever takes the lease over settles it (see
    :mod:`daemon.summary.claims`)."""
    if member.config.delivery.method == "none":
        return False
    label, _ = ledger.this_week(member.config.report, now)
    found = claims.row(member.store, label)
    if found is None or found.status != DeliveryStatus.SENDING:
        return False
    holder = lease.find(member.store, member.summary_lease)
    return holder is not None and holder.expires_at is not None and holder.expires_at <= now
