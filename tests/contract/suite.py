"""The contract every source passes: call :func:`check_source` with a factory of fresh sources
over the same upstream data (real connectors point theirs at a fake server or a generated file).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from connectors.base import EventRecord, MessageRecord, Page, Source


def _ids(pages: list[Page]) -> list[str]:
    return [r.source_id for p in pages for r in p.records]


def check_source(make: Callable[[], Source]) -> None:
    """Keys are stable text; records are frozen; cursors are text; resuming from any page's
    cursor yields exactly the records after that page."""
    first = make()
    assert isinstance(first.key, str) and first.key
    pages = list(first.pages(None))
    assert pages, "a source yields at least one page"
    everything = _ids(pages)
    assert len(everything) == len(set(everything)), "a record appears once per pass"
    for page in pages:
        assert page.cursor is None or isinstance(page.cursor, str)
        for rec in page.records:
            assert isinstance(rec, MessageRecord | EventRecord)
            assert dataclasses.is_dataclass(rec) and type(rec).__dataclass_params__.frozen  # type: ignore[attr-defined]
    for k, page in enumerate(pages):
        if page.cursor is None:
            continue
        rest = _ids(list(make().pages(page.cursor)))
        expected = _ids(pages[k + 1 :])
        assert set(expected) <= set(rest), f"resuming after page {k} loses records"
        assert len(rest) == len(set(rest))
