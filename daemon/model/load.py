"""The model's one door to the store: every touchpoint as a :class:`~daemon.model.frame.Frame`,
with the ``[[people]]`` groups applied. The read itself is :mod:`daemon.store.columns`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from daemon.config import Person as PersonSettings
from daemon.model.frame import Frame, build, identities
from daemon.store import Store
from daemon.store.columns import TouchpointColumns, touchpoint_columns


def load(store: Store, people: Sequence[PersonSettings] = (),
         columns: TouchpointColumns | None = None) -> Frame:
    """Every touchpoint of the store as a :class:`Frame` (callers mask by time), from
    ``columns`` when the caller has read them already."""
    cols = columns if columns is not None else touchpoint_columns(store)
    persons, index = identities(((a, n) for _, a, n in cols.contacts), people)
    of_contact = np.zeros(max((c for c, _, _ in cols.contacts), default=0) + 1, dtype=np.int32)
    seen_as = np.zeros_like(of_contact)  # which of the person's addresses a contact id is
    for cid, addr, _ in cols.contacts:
        of_contact[cid] = index[addr]
        seen_as[cid] = persons[index[addr]].addresses.index(addr)
    return build(persons, of_contact[cols.contact], cols.t, cols.direction, cols.meeting,
                 cols.group, cols.noise, cols.direct, cols.thread, seen_as[cols.contact])
