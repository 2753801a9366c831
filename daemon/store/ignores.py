"""The store-backed ignore list: addresses and domains ignored by a command mailed to yourself.
The config's ``[ignore]`` section stays the user's; the report applies both
(:class:`daemon.model.hidden.Hidden`), and ``keepwarm ignore list`` / ``unignore`` show and undo
these.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from daemon.store import Store
from daemon.store.models import Ignore

KINDS = ("address", "domain")


def add(session: Session, member: int, kind: str, value: str, at: datetime) -> bool:
    """Ignore ``value`` (a normalised address, or a lower-case domain) for member ``member``
    (its id) inside the caller's transaction; False when it was ignored already."""
    found = session.execute(select(Ignore.id).where(
        Ignore.member_id == member, Ignore.kind == kind, Ignore.value == value)).scalar()
    if found is not None:
        return False
    session.add(Ignore(member_id=member, kind=kind, value=value, added_at=at))
    session.flush()
    return True


def remove(store: Store, value: str) -> list[str]:
    """Stop ignoring ``value`` (an address or a domain, matched lower-cased) for the store's
    member; the kinds removed."""
    value = value.strip().lower().lstrip("@")
    mine = (Ignore.member_id == store.member_id, Ignore.value == value)
    with store.transaction() as s:
        kinds = list(s.execute(select(Ignore.kind).where(*mine)).scalars())
        s.execute(delete(Ignore).where(*mine))
        return kinds


def listed(store: Store) -> list[tuple[str, str, datetime]]:
    """The store's member's store-backed ignores as (kind, value, added), by kind then value."""
    member = store.member_id
    with store.session() as s:
        return [(k, v, a) for k, v, a in s.execute(select(
            Ignore.kind, Ignore.value, Ignore.added_at).where(Ignore.member_id == member)
            .order_by(Ignore.kind, Ignore.value))]


def values(store: Store) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(addresses, domains) ignored in the store."""
    rows = listed(store)
    return (tuple(v for k, v, _ in rows if k == "address"),
            tuple(v for k, v, _ in rows if k == "domain"))
