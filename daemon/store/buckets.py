"""Token buckets in the store: a request budget shared by every replica of a deployment.

One row per budget (``rate_buckets``, keyed e.g. ``graph:<tenant>:<client id>``): the tokens
left and when they were counted. Taking refills the row for the time passed (``rate`` a second,
at most ``burst``), then takes ``n`` if there are that many, under the row's lock
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time anyway).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text

from daemon.store.db import Store
from daemon.store.models import RateBucket
from daemon.store.sql import stamp

_ADD = ("INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (:key, :tokens, :now) "
        "ON CONFLICT (key) DO NOTHING")


def take(store: Store, key: str, n: float, *, rate: float, burst: float,
         now: datetime) -> float:
    """Take ``n`` tokens of bucket ``key``: 0.0 when taken, else the seconds to wait before
    there are ``n`` (nothing is taken then)."""
    with store.transaction() as s:
        s.execute(text(_ADD), {"key": key, "tokens": burst, "now": stamp(now, store.sqlite)})
        row = s.execute(select(RateBucket).where(RateBucket.key == key)
                        .with_for_update()).scalar_one()
        elapsed = max(0.0, (now - row.updated_at).total_seconds())
        tokens = min(burst, row.tokens + elapsed * rate)
        if tokens < n:
            return (n - tokens) / rate
        row.tokens, row.updated_at = tokens - n, max(now, row.updated_at)
        return 0.0


def left(store: Store, key: str) -> float | None:
    """The tokens bucket ``key`` held when last counted (None: never used)."""
    with store.session() as s:
        row = s.get(RateBucket, key)
        return None if row is None else row.tokens
