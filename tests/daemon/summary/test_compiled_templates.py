"""The summary's templates are compiled once and kept in the user's cache folder (mode 0600):
a later process renders the same text without compiling them again, and a cache folder that
cannot be written changes nothing but the time."""

from __future__ import annotations

import stat

import pytest
from jinja2 import Environment

from daemon.summary import render


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """Each render as in a new process: no environment kept from before."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    render._environment.cache_clear()
    yield tmp_path / "cache" / "keepwarm" / "templates"
    render._environment.cache_clear()


def test_a_later_process_renders_from_the_compiled_templates(fresh, summary, monkeypatch):
    first = render.render_text(summary), render.render_html(summary)
    kept = sorted(fresh.iterdir())
    assert len(kept) == 2
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    render._environment.cache_clear()

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(Environment, "compile", no_compiling)
    assert (render.render_text(summary), render.render_html(summary)) == first


def test_a_cache_folder_that_cannot_be_made_changes_nothing(fresh, summary, monkeypatch,
                                                            tmp_path):
    expected = render.render_text(summary)
    render._environment.cache_clear()
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    assert render.render_text(summary) == expected
