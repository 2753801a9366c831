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
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from daemon.config import Config
from daemon.service.tenancy import sync_lease as sync_lease  # its home: no summary import
from daemon.store import lease, sent
from daemon.store.sql import DEFAULT_MEMBER
from daemon.store.vocab import DeliveryStatus
from daemon.summary.slots import this_week

if TYPE_CHECKING:
    from daemon.sync.engine import Engine


@dataclass
class Member:
    """One member's part of the daemon: config, view of the store (either handle, see
    :mod:`daemon.store.sql`), and its sync engine, built on first use (a daemon that runs its
    jobs in child processes never builds one)."""

    name: str
    config: Config
    store: Any  # Store, or a light handle in the daemon's main process
    build: Callable[[Any, Config], Engine] = field(repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """The member's sync engine (built on first use)."""
        if self._engine is None:
            self._engine = self.build(self.store, self.config)
        return self._engine

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


def members(config: Config, store: Any, engine: Callable[[Any, Config], Engine]
             ) -> dict[str, Member]:
    """Every member of ``config``, by name, each on its view of ``store``."""
    found: dict[str, Member] = {}
    for each in team(config):
        name = member_name(each)
        view = store if name == store.member else store.scoped(name)
        found[name] = Member(name, each, view, engine)
    return found


def orphaned(member: Member, now: datetime) -> bool:
    """This week's summary is ``sending`` while the member's summary lease has expired: its
    sender died mid-send, and whoever takes the lease over settles it (see
    :mod:`daemon.summary.claims`)."""
    if member.config.delivery.method == "none":
        return False
    label, _ = this_week(member.config.report, now)
    found = sent.week(member.store, label)
    if found is None or found.status != DeliveryStatus.SENDING:
        return False
    holder = lease.find(member.store, member.summary_lease)
    return holder is not None and holder.expires_at is not None and holder.expires_at <= now
