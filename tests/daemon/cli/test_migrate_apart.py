"""``keepwarm run`` migrates its store in a child process: Alembic never stays in the daemon."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from daemon.cli.service import migrate_apart
from daemon.errors import StoreError
from daemon.store import Store

ROOT = Path(__file__).parents[3]
PROBE = """
import sys
from daemon.cli.service import migrate_apart
from daemon.store import Store
migrate_apart(sys.argv[1])
store = Store(sys.argv[1])
print(store.is_current(), "alembic" in sys.modules)
"""


def test_a_new_store_is_migrated_without_alembic_in_the_daemon(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    out = subprocess.run([sys.executable, "-c", PROBE, url], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def test_a_store_the_child_cannot_migrate_fails_as_before(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    Store(url).dispose()
    ahead = Store(url, migrate=False)
    with ahead.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    ahead.dispose()
    migrate_apart(url)  # the child fails quietly
    with pytest.raises(StoreError, match="written by a newer Keepwarm"):
        Store(url)
