"""Delete old items and their touchpoints: ``keepwarm purge --before`` and ``[store] retention``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from daemon.store import Store
from daemon.store.models import Item, ItemSource, Touchpoint


def purge(store: Store, before: datetime) -> int:
    """Delete every item of the store's member dated before ``before``; return how many went
    (another member's retention is theirs: their own sync purges their items)."""
    member = store.member_id
    with store.transaction() as s:
        mine = (Item.member_id == member, Item.at < before)
        old = select(Item.id).where(*mine)
        count = s.execute(select(func.count()).select_from(old.subquery())).scalar_one()
        s.execute(delete(Touchpoint).where(Touchpoint.item_id.in_(old)))
        s.execute(delete(ItemSource).where(ItemSource.item_id.in_(old)))
        s.execute(delete(Item).where(*mine))
    return int(count)
