"""The fake Google of ``tests/fakes`` for a whole Workspace: one mailbox per member behind the
service account's domain-wide delegation, and a per-user quota like Gmail's (each user's own
token bucket, where the stock fake has one). It records when each user's messages were fetched,
so the benchmark can tell each member's own rate and how many were synced at once."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fakes.google_delegation import ServiceAccount
from fakes.google_server import FakeGoogle

DOMAIN = "firm.example"


class TeamGoogle(FakeGoogle):
    """``members`` each with ``messages`` messages; ``units_per_second`` per user, with a
    burst of a tenth of a minute's units (what the client's limiter allows itself)."""

    def __init__(self, members: list[str], messages: int, units_per_second: float) -> None:
        super().__init__(now=datetime.now(UTC).replace(microsecond=0))
        self.per_user = (units_per_second * 6, units_per_second)  # (burst, refill per s)
        self.buckets: dict[str, tuple[float, float]] = {}  # user -> (level, stamp)
        self.fetched: dict[str, list[float]] = {}  # user -> [first, last] messages.get time
        self._user = ""
        users = {f"{m}@{DOMAIN}" for m in members}
        self.service_account = ServiceAccount(users=users)
        for i, user in enumerate(sorted(users)):
            box = self.member(user)
            for k in range(messages):
                peer = f"c{k % 25}@client{i % 50}.example"
                frm, to = (user, peer) if k % 3 == 0 else (peer, user)
                box.add(self.now - timedelta(hours=3 * k + 1), [
                    ("From", frm), ("To", to), ("Message-ID", f"<{k}.{user}>"),
                    ("Date", "Mon, 2 Mar 2026 10:00:00 +0000")])

    def write_key(self, path: Path) -> None:
        assert self.service_account is not None
        self.service_account.write_key(path)

    def _route(self, path: str, q: dict[str, list[str]], method: str = "GET", body: bytes = b"",
               tok: str = "") -> tuple[str, Any]:
        # Called under self.lock, just before _take: remember whose call it is.
        self._user = self.user_of.get(tok, "")
        route, call = super()._route(path, q, method, body, tok)
        if route == "messages.get":
            now = self._clock()
            seen = self.fetched.setdefault(self._user, [now, now])
            seen[1] = now
        return route, call

    def _take(self, units: float) -> float:
        """Spend from this user's bucket; seconds to wait when the units are not there."""
        burst, rate = self.per_user
        now = self._clock()
        level, stamp = self.buckets.get(self._user, (burst, now))
        level = min(burst, level + (now - stamp) * rate)
        if level < units:
            self.buckets[self._user] = (level, now)
            return (units - level) / rate
        self.buckets[self._user] = (level - units, now)
        return 0.0

    def stats(self) -> dict[str, Any]:
        """Per member: messages over the span of their fetches (mean over members); the span
        from the first fetch of anyone's to the last; the most members being fetched at the
        same instant; the API calls refused for quota."""
        with self.lock:
            spans = {u: (a, b) for u, (a, b) in self.fetched.items() if b > a}
            rates = [len(self.boxes[u].messages) / (b - a) for u, (a, b) in spans.items()]
            edges = sorted([(a, 1) for a, _ in spans.values()] + [(b, -1) for _, b in
                                                                  spans.values()])
            at_once = peak = 0
            for _, step in edges:
                at_once += step
                peak = max(peak, at_once)
            first = min((a for a, _ in spans.values()), default=0.0)
            last = max((b for _, b in spans.values()), default=0.0)
            return {"per_member": statistics.fmean(rates) if rates else 0.0,
                    "span": last - first,
                    "concurrent": peak, "rejected": self.rejected, "requests": self.requests}
