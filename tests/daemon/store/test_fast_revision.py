"""Opening a store at the head revision checks it with plain SQL and never imports Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import text

from daemon.store import Store
from daemon.store.db import MIGRATIONS, head_revisions

ROOT = Path(__file__).parents[3]


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert head_revisions() == frozenset(ScriptDirectory.from_config(cfg).get_heads())


def test_heads_of_a_branched_history_and_of_an_unreadable_script(tmp_path: Path) -> None:
    script = 'revision = {!r}\ndown_revision = {}\n'
    (tmp_path / "a.py").write_text(script.format("a", "None"))
    (tmp_path / "b.py").write_text(script.format("b", "'a'"))
    (tmp_path / "c.py").write_text(script.format("c", "'a'"))
    assert head_revisions(tmp_path) == {"b", "c"}
    (tmp_path / "d.py").write_text("revision: str = 'd'\ndown_revision = ('b', 'c')\n")
    assert head_revisions(tmp_path) == {"d"}
    (tmp_path / "e.py").write_text("REVISION = 'e'\n")
    assert head_revisions(tmp_path) is None  # Alembic decides


def test_a_store_knows_whether_it_is_current(store: Store) -> None:
    assert store.is_current()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert not store.is_current()
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    assert not store.is_current()


def test_an_empty_database_is_not_current(tmp_path: Path) -> None:
    bare = Store(f"sqlite:///{tmp_path / 'bare.db'}", migrate=False)
    try:
        assert not bare.is_current()
    finally:
        bare.dispose()


def _open_in_child(url: str) -> list[str]:
    """Open the store at ``url`` in a fresh interpreter: [is it current, was Alembic loaded]."""
    probe = ("import sys; from daemon.store import Store; s = Store({url!r}); "
             "print(s.is_current(), 'alembic' in sys.modules)")
    return subprocess.run([sys.executable, "-c", probe.format(url=url)], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.split()


def test_creating_a_fresh_store_does_not_import_alembic(tmp_path: Path) -> None:
    assert _open_in_child(f"sqlite:///{tmp_path / 'kw.db'}") == ["True", "False"]
    assert head_revisions() is not None


def test_opening_a_current_store_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    old = Store(url, migrate=False)
    old.migrate(command.upgrade, "0007")  # one behind
    old.dispose()
    first = _open_in_child(url)
    again = _open_in_child(url)
    assert first == ["True", "True"]  # a store behind is migrated by Alembic
    assert again == ["True", "False"]  # a current one is only checked
