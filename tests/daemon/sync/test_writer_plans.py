"""The writer's per-page lookups use an index that names only the page's rows: a lookup that
walks every item of the member makes an import slower with every page it writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from daemon.store import Store
from daemon.sync.writer import BY_FINGERPRINT_SQL


def test_the_fingerprint_lookup_uses_the_fingerprint_index(tmp_path: Path) -> None:
    """Without statistics SQLite preferred the unique (member_id, identity) index for
    ``member_id = ?``, which in a one-member store names every item."""
    path = tmp_path / "kw.db"
    store = Store(f"sqlite:///{path}")
    member = store.member_id
    store.dispose()
    db = sqlite3.connect(path)
    db.executemany("INSERT INTO items (member_id, identity, fingerprint, channel, at) "
                   "VALUES (?, ?, ?, 'email', '2024-01-01 00:00:00.000000')",
                   [(member, f"<m{i}@x>", f"fp{i}") for i in range(200)])
    keys = [f"fp{i}" for i in range(0, 200, 7)]
    sql = BY_FINGERPRINT_SQL.format(keys=", ".join("?" * len(keys)))
    plan = " ".join(row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", (member, *keys)))
    assert "ix_items_fingerprint" in plan, plan
    assert dict(db.execute(sql, (member, *keys))) == {k: int(k[2:]) + 1 for k in keys}
    assert db.execute(sql, (member + 1, *keys)).fetchall() == []  # another member's: none
