"""An empty store with one account and a few named contacts, for tests that insert touchpoint
rows themselves (raw SQL, as the writer would store them)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import text

from daemon.store import Store

TABLES = ("column_cache", "touchpoint_edits", "touchpoints", "items", "contacts", "accounts")


def reset(store: Store, names: Mapping[int, str]) -> None:
    """Empty the touchpoint tables; then account 1 and the contacts ``names`` (id -> display
    name; contact ``n`` is ``pn@x.org``), all the store's member's."""
    with store.transaction() as s:
        for table in TABLES:
            s.execute(text(f"DELETE FROM {table}"))
        s.execute(text("INSERT INTO accounts (id, name, kind, status, member_id) VALUES "
                       "(1, 'a', 'mbox', 'ok', :m)"), {"m": store.member_id})
        for c, name in names.items():
            s.execute(text("INSERT INTO contacts (id, address, display_name, member_id) VALUES"
                           " (:c, :a, :n, :m)"),
                      {"c": c, "a": f"p{c}@x.org", "n": name, "m": store.member_id})
