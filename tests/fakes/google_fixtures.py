"""Helpers shared by the Google connector tests: accounts pointed at the fake, token files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from connectors.base import Env, Page
from connectors.google.gcal import CalendarSource
from connectors.google.gmail import GmailSource
from connectors.google.quota import QuotaLimiter
from connectors.settings import GoogleAccount

from fakes.google_server import FakeGoogle


def account(fake: FakeGoogle, **kw: Any) -> GoogleAccount:
    return GoogleAccount(kind="google", name="work", client_secrets=Path("/nonexistent.json"),
                         api_endpoint=fake.url, token_uri=fake.token_uri, **kw)


def env(fake: FakeGoogle, state: Path, *, age: timedelta = timedelta(days=30)) -> Env:
    tokens = state / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    path = tokens / "work.json"
    if not path.exists():
        path.write_text(json.dumps(fake.token_info(obtained_at=(fake.now - age).isoformat())))
        path.chmod(0o600)
    return Env(state_dir=state, now=lambda: fake.now)


class Waits(list[float]):
    """An injected sleep that records what was asked for and never waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def gmail(fake: FakeGoogle, state: Path, waits: Waits | None = None, **kw: Any) -> GmailSource:
    sleep = waits if waits is not None else Waits()
    return GmailSource(account(fake, **kw), env(fake, state), sleep=sleep,
                       limiter=QuotaLimiter(10**9, sleep=Waits()))


def calendar(fake: FakeGoogle, state: Path, waits: Waits | None = None,
             **kw: Any) -> CalendarSource:
    sleep = waits if waits is not None else Waits()
    return CalendarSource(account(fake, **kw), env(fake, state), sleep=sleep)


def drain(pages: Iterator[Page]) -> list[Page]:
    return list(pages)
