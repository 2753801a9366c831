"""A source that serves records from a list: the reference implementation of the contract."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from connectors.base import Page, Record


class MemorySource:
    """Pages of ``page_size`` records; the cursor is the index after the page."""

    def __init__(self, key: str, records: Sequence[Record], page_size: int = 2,
                 gone: Sequence[str] = ()) -> None:
        self.key = key
        self.records = list(records)
        self.page_size = page_size
        self.gone = tuple(gone)
        self.skipped: Counter[str] = Counter()
        self.size_hint: int | None = len(self.records)

    def pages(self, cursor: str | None) -> Iterator[Page]:
        start = int(cursor) if cursor else 0
        if start == 0 and self.gone:
            yield Page((), self.gone, "0")
        for i in range(start, len(self.records), self.page_size):
            end = min(i + self.page_size, len(self.records))
            yield Page(tuple(self.records[i:end]), (), str(end))
