"""``keepwarm db export`` / ``import`` carry the ignores added by mail (issue 16): they live only
in the store, and a resync cannot bring them back once their commands have expired."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from daemon.store import Store, ignores
from daemon.store.export import restore, save

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_ignores_by_mail_are_exported_and_imported_once(store: Store, tmp_path: Path) -> None:
    with store.transaction() as s:
        ignores.add(s, store.member_id, "domain", "acme.example", AT)
        ignores.add(s, store.member_id, "address", "nora@example.org", AT)
    saved = save(store)
    assert saved.unreadable == {} and saved.data["ignores"] == [
        {"kind": "domain", "value": "acme.example", "added_at": AT.isoformat()},
        {"kind": "address", "value": "nora@example.org", "added_at": AT.isoformat()}]
    fresh = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert restore(fresh, saved.data) == (0, 0, 2, 0)
        assert restore(fresh, saved.data) == (0, 0, 0, 2)
        assert ignores.values(fresh) == (("nora@example.org",), ("acme.example",))
        older = {k: v for k, v in saved.data.items() if k != "ignores"}  # before issue 16
        assert restore(fresh, older) == (0, 0, 0, 0)
    finally:
        fresh.dispose()
