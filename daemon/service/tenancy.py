"""The running daemon's side of the store lease (:mod:`daemon.store.lease`): take it at start
(refused: another daemon runs on this store), renew it from the main loop, give it back at a
clean stop. Renewal failures are logged and tried again; they never stop the daemon, but losing
the lease to another daemon does."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from daemon.errors import KeepwarmError, brief
from daemon.store import Store, lease

log = logging.getLogger(__name__)


class Tenancy:
    """This daemon's lease on ``store``; ``clock`` gives the current instant."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock
        self.renewed: datetime | None = None  # None: not held

    def take(self) -> None:
        """Take the lease, or raise naming who holds it."""
        holder = lease.acquire(self.store, self.clock())
        if holder is not None:
            raise KeepwarmError(f"another keepwarm daemon runs on this store ({holder})",
                                hint="stop that one first; a killed daemon's lease lapses "
                                     f"{int(lease.TTL.total_seconds() // 60)} minutes "
                                     "after its last renewal")
        self.renewed = self.clock()

    def keep(self) -> bool:
        """Renew when due; False once another daemon has taken the lease over."""
        now = self.clock()
        if self.renewed is None or now - self.renewed < lease.RENEW_EVERY:
            return True
        try:
            held = lease.renew(self.store, now)
        except Exception as exc:  # a locked or unreachable store: try again next time
            log.warning("could not renew the daemon lease: %s", brief(exc))
            return True
        self.renewed = now
        return held

    def give_back(self) -> None:
        """Release the lease (it would lapse by itself: a failure is only logged)."""
        if self.renewed is None:
            return
        try:
            lease.release(self.store)
        except Exception as exc:
            log.warning("could not release the daemon lease: %s", brief(exc))
        self.renewed = None
