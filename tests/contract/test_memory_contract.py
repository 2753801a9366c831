from connectors.base import MessageRecord

from contract.suite import check_source
from fakes.memory import MemorySource


def test_memory_source_passes_the_contract():
    records = [MessageRecord(source_id=str(i), from_=(f"p{i}@x.org",)) for i in range(7)]
    check_source(lambda: MemorySource("mem/mail", records, page_size=3))
