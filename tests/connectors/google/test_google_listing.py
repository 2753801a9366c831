"""Full listings name everything upstream: the first page carries ``Listing`` with an honest
window, and ids not re-read (already stored) travel in ``Page.listed`` (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from connectors.base import Listing, Page
from connectors.errors import CursorExpired

from fakes.google_fixtures import gmail
from fakes.google_server import FakeGoogle


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        yield g


def named(pages: list[Page]) -> set[str]:
    """Every id a pass named: as a record or as listed."""
    return {r.source_id for p in pages for r in p.records} | {i for p in pages for i in p.listed}


def test_gmail_full_sync_opens_a_listing_from_the_lookback_cutoff(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    for i in range(7):
        fake.mail.add(fake.now - timedelta(hours=i))
    src = gmail(fake, tmp_path, lookback_days=30)
    src.batch_size = 3
    pages = list(src.pages(None))
    cutoff = fake.now - timedelta(days=30)
    assert pages[0].listing == Listing(cutoff.astimezone(UTC), None)
    assert all(p.listing is None for p in pages[1:])
    assert all(p.listed == () for p in pages)  # nothing known: everything was read


def test_gmail_listing_after_expiry_names_everything_present(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    old = [fake.mail.add(fake.now - timedelta(hours=i)) for i in range(12)]
    cursor = list(gmail(fake, tmp_path).pages(None))[-1].cursor
    stored = set(old)
    # While nobody looked: one deleted, one trashed, one new; then the history id expired.
    fake.mail.delete(old[1])
    fake.mail.label(old[2], "TRASH")
    new = fake.mail.add(fake.now + timedelta(minutes=5))
    fake.mail.expire_history()
    with pytest.raises(CursorExpired):
        list(gmail(fake, tmp_path).pages(cursor))
    src = gmail(fake, tmp_path)
    src.batch_size = 4
    src.known_ids = lambda ids: stored & set(ids)
    pages: list[Page] = []
    for page in src.pages(None):
        pages.append(page)
        if len(pages) == 1:  # mutations between pages: already listed, trashed and deleted
            fake.mail.label(old[6], "TRASH")
            fake.mail.delete(old[9])
    assert pages[0].listing is not None and pages[0].listing.end is None
    present = {m for m in old if m not in (old[1], old[2])} | {new}
    assert named(pages) == present  # the two changed while not looking are not named
    assert {r.source_id for p in pages for r in p.records} == {new}  # the rest not re-read
    # Those changed during the pass were listed, and the history replay then reports them.
    assert {old[6], old[9]} <= {g for p in pages for g in p.gone}


def test_gmail_incremental_and_resumed_passes_open_no_listing(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    for i in range(9):
        fake.mail.add(fake.now - timedelta(hours=i))
    src = gmail(fake, tmp_path)
    src.batch_size = 3
    first = next(iter(src.pages(None)))
    rest = list(gmail(fake, tmp_path).pages(first.cursor))  # resumes the same listing
    assert first.listing is not None and all(p.listing is None for p in rest)
    fake.mail.add(fake.now)
    assert all(p.listing is None for p in gmail(fake, tmp_path).pages(rest[-1].cursor))
