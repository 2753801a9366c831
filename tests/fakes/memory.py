"""A source that serves records from a list: the reference implementation of the contract."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connectors.base import Listing, Page, Record, Source


class MemorySource(Source):
    """Pages of ``page_size`` records; the cursor is the index after the page. Every pass
    starts with the ``gone`` ids (deleted upstream) on a page of their own, which keeps the
    cursor it resumed from; ``address`` (the mailbox's own) rides on every page. A pass from
    no cursor is a full listing (``Page.listing`` on its first page), as every source's is."""

    def __init__(self, key: str, records: Sequence[Record], page_size: int = 2,
                 gone: Sequence[str] = (), address: str | None = None) -> None:
        self.key = key
        self.records = list(records)
        self.page_size = page_size
        self.gone = tuple(gone)
        self.address = address

    @property
    def size_hint(self) -> int | None:
        return len(self.records)

    def pages(self, cursor: str | None) -> Iterator[Page]:
        start = int(cursor) if cursor else 0
        listing = Listing() if cursor is None else None
        if self.gone or (listing and not self.records):
            yield Page((), self.gone, cursor or "0", address=self.address, listing=listing)
            listing = None
        for i in range(start, len(self.records), self.page_size):
            end = min(i + self.page_size, len(self.records))
            yield Page(tuple(self.records[i:end]), (), str(end), address=self.address,
                       listing=listing)
            listing = None
