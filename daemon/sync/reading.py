"""Reading one source: its pages after a cursor, each with what its records mean.

This is the half of a sync that touches nothing but the source (files, or an API) and
:mod:`daemon.sync.meaning`; the engine commits what it yields. Being apart is what lets a
local archive's reading run ahead in another process (:mod:`daemon.sync.ahead`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, replace
from datetime import datetime

from connectors.base import Cursor, Page, Source
from daemon.sync.meaning import Interpreter, Mailed, Meaning


@dataclass(frozen=True, slots=True)
class Interpreted:
    """One page, read and interpreted: what the engine commits in one transaction."""

    page: Page  # its records dropped: ``records`` counts them, ``meanings`` says what they mean
    records: int
    meanings: list[tuple[str, Meaning]]  # (source id, meaning) of the records kept
    nothing: list[str]  # source ids of records that mean nothing now (forgotten if stored)
    skips: Counter[str]  # the source's skips and the interpreter's, per reason
    commands: list[Mailed]  # commands mailed to yourself, carried out with the page


def interpreted(source: Source, cursor: Cursor | None, interp: Interpreter,
                floor: datetime | None) -> Generator[Interpreted, None, None]:
    """``source``'s pages after ``cursor``, interpreted by ``interp``; touchpoints before
    ``floor`` (the retention limit, if any) are left out."""
    for page in source.pages(cursor):
        if page.address:  # the mailbox's own address joins [me]
            interp.add_me(page.address)
        before = interp.skipped.copy()
        meanings, nothing = [], []
        for record in page.records:
            meaning = interp.interpret(record)
            if meaning is None:  # it means nothing now: forget what it meant before
                nothing.append(record.source_id)
            elif floor is None or meaning.at >= floor:
                meanings.append((record.source_id, meaning))
        skips = interp.skipped - before + Counter(page.skipped)  # the source's and ours
        found, interp.commands = interp.commands, []
        yield Interpreted(replace(page, records=()), len(page.records), meanings, nothing,
                          skips, found)
