"""The contract every source passes, as named tests (vdirsyncer's ``StorageTests`` style).

A source's tests subclass :class:`SourceContract` (the name does not start with ``Test``, so
pytest collects only the subclasses) and define two fixtures, each an :class:`Upstream`:
``upstream``, holding records enough for several pages, and ``empty``, holding none. Real
connectors point theirs at a fake server or generated files; the memory source at a list.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pytest

from connectors.base import EventRecord, MessageRecord, Page, Record, Source


@dataclass
class Upstream:
    """The data behind a source, as the contract drives it."""

    make: Callable[[], Source]  # a fresh source over the current data
    delete: Callable[[str], None] | None = None  # remove one source id's item; None: the
    # source never reports deletions (an append-only archive), and the gone test is skipped


def drain(source: Source, cursor: str | None = None) -> list[Page]:
    return list(source.pages(cursor))


def ids(pages: Iterable[Page]) -> list[str]:
    return [r.source_id for p in pages for r in p.records]


def gone(pages: Iterable[Page]) -> set[str]:
    return {g for p in pages for g in p.gone}


def skipped(pages: Iterable[Page]) -> Counter[str]:
    """The skip counts a pass reported, summed over its pages."""
    total: Counter[str] = Counter()
    for page in pages:
        total.update(page.skipped)
    return total


def apply(store: dict[str, Record], pages: Iterable[Page]) -> dict[str, Record]:
    """What the engine keeps: each page's gone ids dropped, then its records upserted; after
    a pass that opened a listing, what the listing did not name is dropped too."""
    named: set[str] | None = None
    for page in pages:
        if page.listing is not None:
            named = set()
        for sid in page.gone:
            store.pop(sid, None)
        store.update((r.source_id, r) for r in page.records)
        if named is not None:
            named.update(page.listed, (r.source_id for r in page.records))
    for sid in set(store) - named if named is not None else ():
        del store[sid]
    return store


class SourceContract:
    """Named tests every source passes; see the module docstring for the two fixtures."""

    def test_key_is_stable_text(self, upstream: Upstream) -> None:
        first, second = upstream.make(), upstream.make()
        assert isinstance(first.key, str) and first.key
        assert first.key == second.key

    def test_optional_members_have_their_documented_defaults(self, upstream: Upstream) -> None:
        source = upstream.make()
        assert isinstance(source, Source)
        assert source.known_ids is None  # until the engine sets it
        before = source.size_hint
        drain(source)
        for hint in (before, source.size_hint):
            assert hint is None or (type(hint) is int and hint >= 0)

    def test_pages_carry_frozen_records_and_text_cursors(self, upstream: Upstream) -> None:
        pages = drain(upstream.make())
        assert pages, "a pass over records yields at least one page"
        assert isinstance(pages[-1].cursor, str), "the last page says where the next sync resumes"
        for page in pages:
            assert page.cursor is None or isinstance(page.cursor, str)
            for rec in page.records:
                assert isinstance(rec, MessageRecord | EventRecord)
                assert isinstance(rec.source_id, str) and rec.source_id
                assert type(rec).__dataclass_params__.frozen  # type: ignore[attr-defined]
                assert dataclasses.is_dataclass(rec)

    def test_page_facts_have_their_documented_types(self, upstream: Upstream) -> None:
        for page in drain(upstream.make()):
            assert isinstance(page.skipped, Mapping)
            assert all(isinstance(k, str) and type(v) is int and v > 0
                       for k, v in page.skipped.items()), page.skipped
            assert page.address is None or (isinstance(page.address, str) and "@" in page.address)

    def test_a_page_gone_lists_text_ids_apart_from_its_records(self, upstream: Upstream) -> None:
        for page in drain(upstream.make()):
            assert isinstance(page.gone, tuple)
            assert all(isinstance(g, str) and g for g in page.gone)
            assert not set(page.gone) & {r.source_id for r in page.records}

    def test_a_record_appears_once_per_pass(self, upstream: Upstream) -> None:
        everything = ids(drain(upstream.make()))
        assert everything and len(everything) == len(set(everything))

    def test_resuming_after_any_page_loses_nothing(self, upstream: Upstream) -> None:
        pages = drain(upstream.make())
        for k, page in enumerate(pages):
            if page.cursor is None:
                continue
            rest = ids(drain(upstream.make(), page.cursor))
            assert set(ids(pages[k + 1 :])) <= set(rest), f"resuming after page {k} loses records"
            assert len(rest) == len(set(rest))

    def test_replaying_a_cursor_twice_gives_the_same_store(self, upstream: Upstream) -> None:
        pages = drain(upstream.make())
        synced = apply({}, pages)
        for cursor in dict.fromkeys([None, pages[len(pages) // 2].cursor, pages[-1].cursor]):
            replayed = apply(dict(synced), drain(upstream.make(), cursor))
            assert apply(replayed, drain(upstream.make(), cursor)) == synced, cursor

    def test_a_pass_from_no_cursor_is_a_listing(self, upstream: Upstream) -> None:
        pages = drain(upstream.make())
        assert pages[0].listing is not None, "a first pass lists everything: it must say so"
        assert all(isinstance(p.listed, tuple) for p in pages)
        named = set(ids(pages)) | {sid for p in pages for sid in p.listed}
        assert set(apply({}, pages)) <= named

    def test_an_empty_source_yields_nothing(self, empty: Upstream) -> None:
        pages = drain(empty.make())
        assert not ids(pages) and not gone(pages)
        for page in pages:
            assert isinstance(page.cursor, str)
            again = drain(empty.make(), page.cursor)
            assert not ids(again) and not gone(again)

    def test_a_deletion_upstream_comes_as_gone_or_unnamed(self, upstream: Upstream) -> None:
        if upstream.delete is None:
            pytest.skip("this source never reports deletions")
        pages = drain(upstream.make())
        store = apply({}, pages)
        victim = ids(pages)[len(store) // 2]
        upstream.delete(victim)
        later = drain(upstream.make(), pages[-1].cursor)
        listed = any(p.listing is not None for p in later)
        named = set(ids(later)) | {sid for p in later for sid in p.listed}
        assert victim in gone(later) or (listed and victim not in named)
        assert victim not in apply(store, later)
