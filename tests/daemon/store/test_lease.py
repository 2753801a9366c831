"""The store lease: one daemon per store, across machines; an expired lease is taken over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from daemon.store import lease
from daemon.store.models import DaemonLease

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def other_host(store: Any, expires: datetime) -> None:
    with store.transaction() as s:
        s.add(DaemonLease(name=lease.NAME, host="elsewhere", pid=4242, since=NOW,
                          expires_at=expires))


def test_a_live_lease_on_another_machine_is_refused(store: Any) -> None:
    other_host(store, NOW + lease.TTL)
    holder = lease.acquire(store, NOW + timedelta(minutes=1))
    assert holder is not None and (holder.host, holder.pid) == ("elsewhere", 4242)
    assert str(holder) == "host elsewhere, pid 4242, since 2026-12-01 02:00 UTC"
    assert not lease.renew(store, NOW)  # not ours


def test_an_expired_lease_is_taken_over_then_renewed_and_released(store: Any) -> None:
    other_host(store, NOW + lease.TTL)
    assert lease.acquire(store, NOW + lease.TTL) is None
    assert lease.renew(store, NOW + lease.TTL + lease.RENEW_EVERY)
    assert lease.acquire(store, NOW + lease.TTL) is None  # our own: taken again
    lease.release(store)
    assert lease.holder(store) is None
