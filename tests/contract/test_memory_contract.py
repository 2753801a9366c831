"""The memory source, reference implementation of the contract, passes it."""

from __future__ import annotations

import pytest

from connectors.base import MessageRecord

from contract.suite import SourceContract, Upstream
from fakes.memory import MemorySource


class TestMemoryContract(SourceContract):
    @pytest.fixture
    def upstream(self) -> Upstream:
        records = [MessageRecord(source_id=str(i), from_=(f"p{i}@x.org",)) for i in range(7)]
        deleted: list[str] = []

        def make() -> MemorySource:
            kept = [r for r in records if r.source_id not in deleted]
            return MemorySource("mem/mail", kept, page_size=3, gone=deleted)

        return Upstream(make, deleted.append)

    @pytest.fixture
    def empty(self) -> Upstream:
        return Upstream(lambda: MemorySource("mem/mail", []))
