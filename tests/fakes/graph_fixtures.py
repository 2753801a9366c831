"""Helpers for the Microsoft connector tests: a TLS fake on loopback trusted through the
standard CA variables, accounts pointed at it, a real device-code sign-in, and a tiny store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors import microsoft
from connectors.base import Env, Listing, MessageRecord, Page, Record, Source
from connectors.settings import MicrosoftAccount

from fakes.graph_server import FakeGraph
from fakes.graph_tls import make_tls

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


class Waits(list[float]):
    """An injected sleep that records what was asked for and never waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@contextmanager
def running_fake(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    """A TLS fake whose test CA httpx (SSL_CERT_FILE) and MSAL's requests trust."""
    ca, context = make_tls(folder)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    fake = FakeGraph(context).start()
    try:
        yield fake
    finally:
        fake.stop()


def account(fake: FakeGraph, **kw: Any) -> MicrosoftAccount:
    return MicrosoftAccount(kind="microsoft", name="work", client_id=fake.identity.client_id,
                            authority=fake.authority, graph_endpoint=fake.base, **kw)


def env(state: Path, now: datetime = NOW) -> Env:
    return Env(state_dir=state, now=lambda: now)


def sign_in(fake: FakeGraph, state: Path, **kw: Any) -> list[str]:
    """Run the real device-code flow against the fake; return what it showed."""
    shown: list[str] = []
    microsoft.authorize(account(fake, **kw), env(state), show=shown.append)
    return shown


def sources(fake: FakeGraph, state: Path, waits: Waits | None = None,
            now: datetime = NOW, **kw: Any) -> dict[str, Source]:
    built = microsoft.build(account(fake, **kw), env(state, now),
                            sleep=waits if waits is not None else Waits())
    return {s.key.split("/")[1]: s for s in built}


class Store(dict[str, Record]):
    """What the engine keeps: gone ids dropped first, then records upserted by source id; a
    pass that opens a listing forgets, when it completes, what it did not name in the window.
    ``listings`` keeps every listing seen, ``forgotten`` what they forgot."""

    def __init__(self) -> None:
        super().__init__()
        self.listings: list[Listing] = []
        self.forgotten: set[str] = set()

    def apply(self, pages: Iterable[Page], cursor: str | None = None) -> str | None:
        listing: Listing | None = None
        named: set[str] = set()
        for page in pages:
            if page.listing is not None:
                listing, named = page.listing, set()
                self.listings.append(listing)
            for sid in page.gone:
                self.pop(sid, None)
            for record in page.records:
                self[record.source_id] = record
            named |= {r.source_id for r in page.records} | set(page.listed)
            cursor = page.cursor
        if listing is not None:
            unnamed = {sid for sid, rec in self.items()
                       if sid not in named and _within(rec, listing)}
            self.forgotten |= unnamed
            for sid in unnamed:
                del self[sid]
        return cursor


def _within(record: Record, listing: Listing) -> bool:
    when = record.when if isinstance(record, MessageRecord) else record.start
    if when is None:
        return listing.start is None and listing.end is None
    return ((listing.start is None or when >= listing.start)
            and (listing.end is None or when < listing.end))
