"""Writing a page under its stream's listing: how the store forgets what a stream no longer
names upstream.

The incremental path of a source carries deletions it sees (``Page.gone``). What it cannot
carry (items trashed, deleted or cancelled while a cursor was expired, files deleted between
two archive passes, occurrences of a series ended upstream) is found by a full listing: a pass
that names every item upstream in a window of time. States of one stream's listing (columns of
``streams``)::

    closed ──page with Page.listing──▶ open (round n+1, window)
                                        │  every source id the pass names is marked n+1
                                        │  (written as a record, or in Page.listed)
                                        ├─ pass cut short (kill, stop, error): stays open;
                                        │  the resumed pass goes on marking n+1
                                        ├─ another Page.listing: round n+2 (marks of n+1 stale)
                                        ├─ page with Page.incomplete (part of the stream
                                        │  unreadable, so unnamed): closed, nothing forgotten
                                        └─ pass completes ─▶ closed: the stream's source ids
                                           in the window still marked below n+1 are forgotten

Forgetting happens in one transaction when the pass completes, so a kill at any instant
forgets either nothing or exactly the unnamed ones. :func:`forget_series` does the same at once
for one recurring event re-listed in full on a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Table, select, true, update
from sqlalchemy.orm import Session

from connectors.base import Listing, Page, Series
from daemon.store.models import Item, ItemSource, Stream
from daemon.sync.fitting import SOURCE_ID, fit
from daemon.sync.meaning import Meaning, series_key
from daemon.sync.writer import forget, write_page

CHUNK = 500


def commit_page(session: Session, stream: Stream, page: Page,
                meanings: list[tuple[str, Meaning]], nothing: list[str]) -> int:
    """Write one page into ``session`` under the stream's listing round: its meanings, its
    gone ids and the ids of records that now mean ``nothing``, the ids it lists and the series
    it re-lists. Returns the touchpoints written."""
    if page.listing is not None:
        open_listing(session, stream, page.listing)
    written = write_page(session, stream.account_id, meanings, [*page.gone, *nothing],
                         stream_id=stream.id, listing_round=stream.listing_round)
    if stream.listing_open and page.listed:
        mark_listed(session, stream, page.listed)
    if page.series:
        kept = {fit(sid, SOURCE_ID) for sid, _ in meanings}
        forget_series(session, stream, page.series, kept)
    if page.incomplete:  # committed with the page: a resumed pass cannot lose it
        stream.listing_open = False
    return written


def open_listing(session: Session, stream: Stream, listing: Listing) -> int:
    """Begin a new round for ``stream`` covering ``listing``'s window; its number."""
    stream.listing_round += 1
    stream.listing_open = True
    stream.listing_start, stream.listing_end = listing.start, listing.end
    return stream.listing_round


def mark_listed(session: Session, stream: Stream, source_ids: Sequence[str]) -> None:
    """Record that the open round named ``source_ids`` (still upstream, not re-read)."""
    table: Table = ItemSource.__table__  # type: ignore[assignment]  # Core: no ORM sync
    ids = [fit(sid, SOURCE_ID) for sid in source_ids]
    for i in range(0, len(ids), CHUNK):
        session.execute(update(table).where(
            table.c.account_id == stream.account_id, table.c.source_id.in_(ids[i : i + CHUNK]),
        ).values(stream_id=stream.id, listing_round=stream.listing_round))


def close_listing(session: Session, stream: Stream) -> int:
    """End the open round: forget the stream's source ids in its window that it did not
    name. Returns how many were forgotten."""
    stale = list(session.execute(select(ItemSource.source_id).join(
        Item, Item.id == ItemSource.item_id).where(
        ItemSource.stream_id == stream.id,
        ItemSource.listing_round < stream.listing_round,
        _within(stream.listing_start, stream.listing_end))).scalars())
    forget(session, stream.account_id, stale)
    stream.listing_open = False
    return len(stale)


def forget_series(session: Session, stream: Stream, series: Iterable[Series],
                  kept: set[str]) -> int:
    """Forget the stream's stored occurrences of each series in its window that are not in
    ``kept`` (the source ids of the page that lists the series in full)."""
    gone: list[str] = []
    for one in series:
        prefix = _escape(series_key(one.uid)) + "%"
        found = session.execute(select(ItemSource.source_id).join(
            Item, Item.id == ItemSource.item_id).where(
            ItemSource.stream_id == stream.id,
            Item.identity.like(prefix, escape="\\"),
            _within(one.start, one.end))).scalars()
        gone += [sid for sid in found if sid not in kept]
    forget(session, stream.account_id, gone)
    return len(gone)


def _within(start: datetime | None, end: datetime | None) -> ColumnElement[bool]:
    clause: ColumnElement[bool] = true()
    if start is not None:
        clause = clause & (Item.at >= start)
    if end is not None:
        clause = clause & (Item.at < end)
    return clause


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
