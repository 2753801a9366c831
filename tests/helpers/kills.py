"""What the model-based sync tests share: a kill at any page, and the store's comparable state.

A :class:`Killing` source wraps a real one and raises :class:`Killed` (a ``BaseException``,
so nothing in the engine catches it, as nothing catches SIGKILL) once a page budget shared by
the account's sources runs out, including after the last page, before the engine can close
the pass. :func:`snapshot` is what "the store equals the mailbox" compares.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from connectors.base import Page, Source
from daemon.store import Store
from daemon.store.models import Contact, Item, ItemSource, Touchpoint


class Killed(BaseException):
    """A kill: not an Exception, so nothing in the engine catches it."""


class Killing(Source):
    """Delegates to ``inner``; raises :class:`Killed` when the shared page budget runs out."""

    def __init__(self, inner: Source, budget: list[int]) -> None:
        self.inner, self.key, self.budget = inner, inner.key, budget
        self.local = inner.local  # a reader ahead runs the kill in its process, as the reading

    @property
    def size_hint(self) -> int | None:
        return self.inner.size_hint

    def pages(self, cursor: str | None) -> Iterator[Page]:
        self.inner.known_ids = self.known_ids
        for page in self.inner.pages(cursor):
            self._spend()
            yield page
        self._spend()

    def _spend(self) -> None:
        if self.budget[0] == 0:
            raise Killed
        self.budget[0] -= 1


def snapshot(store: Store) -> tuple[set[str], set[tuple[str, str, str]]]:
    """(source ids claimed, (item identity, counterpart, direction) touchpoints)."""
    with store.session() as s:
        claims = set(s.execute(select(ItemSource.source_id)).scalars())
        tps = {(i, a, str(d)) for i, a, d in s.execute(
            select(Item.identity, Contact.address, Touchpoint.direction)
            .join(Item, Item.id == Touchpoint.item_id)
            .join(Contact, Contact.id == Touchpoint.contact_id))}
    return claims, tps
