"""A pass that could not read part of an archive (a folder it cannot list) names nothing
under that part, so it must not be taken for a full listing: what the store holds from there is
kept until a pass reads the whole archive again, and only then is a deletion forgotten."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_engine import ME, config, engine
from test_listing import stored

from connectors.local.maildir import MaildirSource
from connectors.local.mbox import MboxSource

from helpers.unreadable import Unreadable


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Iterator[Unreadable]:
    u = Unreadable(monkeypatch)
    yield u
    u.restore()


def headers(i: int) -> str:
    return (f"From: p{i}@client.example\nTo: {ME}\nMessage-ID: <m{i}@client.example>\n"
            f"Date: Mon, 3 Jan 2022 10:0{i}:00 +0000\n\n")


def maildir(root: Path) -> Callable[[], list[MaildirSource]]:
    for folder, names in (("", ("a",)), ("Work", ("b", "c"))):
        (root / folder / "cur").mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(names):
            (root / folder / "cur" / name).write_text(headers(i))
    return lambda: [MaildirSource("a/mail", root, "a")]


def mbox(root: Path) -> Callable[[], list[MboxSource]]:
    (root / "Work").mkdir(parents=True)
    (root / "inbox.mbox").write_text("From x Mon Jan  3 10:00:00 2022\n" + headers(0))
    (root / "Work" / "b.mbox").write_text("From x Mon Jan  3 10:00:00 2022\n" + headers(1))
    return lambda: [MboxSource("a/mail", root, "a")]


@pytest.mark.parametrize("kind", [maildir, mbox])
def test_a_folder_that_cannot_be_read_keeps_what_is_stored_from_it(
        store, tmp_path: Path, unreadable: Unreadable, kind) -> None:
    build = kind(tmp_path)
    eng = engine(store, config("a"), {"a": build})
    eng.sync()
    before = stored(store)
    assert len(before) >= 2
    unreadable.deny(tmp_path / "Work")
    [result] = eng.sync()
    assert stored(store) == before  # nothing under Work was named, nothing is forgotten
    assert result.streams[0].skipped["unreadable_folder"] == 1
    assert result.streams[0].forgotten == 0
    unreadable.denied.clear()  # readable again: the next pass is a full listing once more
    unreadable.restore()
    gone = next(p for p in (tmp_path / "Work").rglob("*") if p.is_file())
    gone.unlink()
    [result] = eng.sync()
    assert result.streams[0].forgotten == 1 and len(stored(store)) == len(before) - 1
