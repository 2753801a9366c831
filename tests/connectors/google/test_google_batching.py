"""Gmail batches under refusals (issue 10): parts refused for concurrency go again at once in
smaller batches, none is lost, and quota refusals slow the client-side limiter down."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from connectors.google.gmail import GmailSource
from connectors.google.quota import QuotaLimiter

from fakes.google_fixtures import Waits, account, env, gmail
from fakes.google_server import FakeGoogle


class SimClock:
    """Simulated time: sleeping advances it, nothing else does."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def fill(fake: FakeGoogle, n: int) -> list[str]:
    return [fake.mail.add(fake.now - timedelta(minutes=i)) for i in range(n)]


def test_concurrency_refusals_shrink_batches_and_lose_nothing(tmp_path: Path) -> None:
    with FakeGoogle() as fake:
        wanted = fill(fake, 200)
        fake.concurrency = 12
        waits = Waits()
        src = gmail(fake, tmp_path, waits)
        got = [r.source_id for p in src.pages(None) for r in p.records]
        assert got == wanted  # every part, in order, each once
        assert fake.batches[0] == 50 and max(fake.batches[1:]) <= 13
        assert waits == []  # refused parts went again at once, in smaller batches
        assert fake.rejected < 50  # one refusal round, then one at each probe above 12


def test_size_grows_back_when_the_refusals_stop(tmp_path: Path) -> None:
    with FakeGoogle() as fake:
        fill(fake, 400)
        fake.concurrency = 5
        src = gmail(fake, tmp_path)
        pages = src.pages(None)
        next(pages)
        next(pages)
        fake.concurrency = None
        list(pages)
        assert max(fake.batches[:4]) == 50 and min(fake.batches) <= 6
        assert fake.batches[-2] > fake.batches[2]  # creeping back up, one part per batch


def test_refused_everything_backs_off_then_goes_on(tmp_path: Path) -> None:
    with FakeGoogle() as fake:
        wanted = fill(fake, 10)
        for m in wanted:  # every part refused once, without a Retry-After
            fake.fail(f"messages/{m}", 429, reason="rateLimitExceeded")
        waits = Waits()
        got = [r.source_id for p in gmail(fake, tmp_path, waits).pages(None) for r in p.records]
        assert got == wanted and len(waits) == 1  # nothing went through: one backoff
        assert fake.batches == [10, 5, 5]


def test_quota_refusals_slow_the_limiter(tmp_path: Path) -> None:
    clock = SimClock()
    with FakeGoogle(clock=clock) as fake:
        wanted = fill(fake, 300)
        fake.set_quota(600, 60)  # the server allows a tenth of what the account says
        limiter = QuotaLimiter(6000, clock=clock, sleep=clock.sleep)
        src = GmailSource(account(fake, quota_per_minute=6000), env(fake, tmp_path),
                          limiter=limiter, sleep=clock.sleep)
        got = [r.source_id for p in src.pages(None) for r in p.records]
        assert got == wanted
        assert limiter.slowed > 0 and limiter.rate < limiter.ceiling
        # The limiter learnt the server's pace: refusals stop well before the end.
        assert fake.rejected < 300
