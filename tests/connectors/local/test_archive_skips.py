"""Each skipped part of a local archive is counted under its own reason, once a pass (issue
12): a header block too large to be a message, an unreadable file (of any name), an
unreadable folder; an archive root that cannot be read is one clear error."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import Page
from connectors.errors import BadArchive
from connectors.local.maildir import MaildirSource
from connectors.local.mbox import MboxSource

from contract.suite import skipped
from helpers.unreadable import Unreadable

HUGE = 100_000  # recipients: a header block of about 2 MB


def message(i: int, to: str = "me@y.org") -> bytes:
    return (f"From x@x Mon Jan  3 10:00:00 2022\nFrom: a{i}@x.org\nTo: {to}\n"
            f"Message-ID: <m{i}@x.org>\nDate: Mon, 3 Jan 2022 10:00:00 +0000\n\nbody\n\n"
            ).encode()


def crowd() -> str:
    return ",\n ".join(f"r{n}@crowd.example" for n in range(HUGE))


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> Iterator[Unreadable]:
    u = Unreadable(monkeypatch)
    yield u
    u.restore()


def drain(source: MboxSource | MaildirSource) -> list[Page]:
    return list(source.pages(None))


def ids(pages: list[Page]) -> list[str]:
    return [r.source_id for p in pages for r in p.records]


def test_a_two_megabyte_header_block_in_an_mbox_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "a.mbox"
    path.write_bytes(message(1) + message(2, crowd()) + message(3))
    pages = drain(MboxSource("a/mail", path, "a"))
    assert len(ids(pages)) == 2
    assert skipped(pages) == {"too_large": 1}


def test_a_two_megabyte_header_block_in_a_maildir_is_too_large(tmp_path: Path) -> None:
    (tmp_path / "cur").mkdir()
    (tmp_path / "cur" / "1").write_bytes(message(1).split(b"\n", 1)[1])
    (tmp_path / "cur" / "2").write_bytes(message(2, crowd()).split(b"\n", 1)[1])
    pages = drain(MaildirSource("m/mail", tmp_path, "m"))
    assert ids(pages) == ["1"]
    assert skipped(pages) == {"too_large": 1}


def test_unreadable_files_in_an_mbox_folder_are_unreadable_whatever_their_name(
        tmp_path: Path, unreadable: Unreadable, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "good.mbox").write_bytes(message(1))
    (tmp_path / "locked.mbox").write_bytes(message(2))
    (tmp_path / "Inbox").write_bytes(message(3))  # Thunderbird: mbox files without extension
    (tmp_path / "junk.mbox").write_bytes(b"not an mbox")
    unreadable.deny(tmp_path / "locked.mbox")
    unreadable.deny(tmp_path / "Inbox")
    with caplog.at_level(logging.INFO, logger="connectors.local"):
        pages = drain(MboxSource("a/mail", tmp_path, "a"))
    assert ids(pages) == ["good.mbox:0"]
    assert skipped(pages) == {"unreadable_file": 2, "not_mbox": 1}
    lines = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert lines == ["a/mail: skipped {'not_mbox': 1, 'unreadable_file': 2}"]


def test_an_unreadable_folder_of_mbox_files_is_counted(tmp_path: Path,
                                                       unreadable: Unreadable) -> None:
    (tmp_path / "good.mbox").write_bytes(message(1))
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.mbox").write_bytes(message(2))
    unreadable.deny(tmp_path / "locked")
    pages = drain(MboxSource("a/mail", tmp_path, "a"))
    assert ids(pages) == ["good.mbox:0"] and skipped(pages) == {"unreadable_folder": 1}


@pytest.mark.parametrize("plan_limit", [10_000, 0])  # a census reused, or a second walk
@pytest.mark.parametrize("locked", [("Work",), ("Work", "cur")])
def test_an_unreadable_maildir_folder_is_counted_once(
        tmp_path: Path, unreadable: Unreadable, monkeypatch: pytest.MonkeyPatch,
        locked: tuple[str, ...], plan_limit: int) -> None:
    from connectors.local import maildir

    monkeypatch.setattr(maildir, "PLAN_LIMIT", plan_limit)
    for folder in ("", "Work"):
        (tmp_path / folder / "cur").mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "cur" / f"m{len(folder)}").write_bytes(
            message(len(folder)).split(b"\n", 1)[1])
    unreadable.deny(tmp_path.joinpath(*locked))
    src = MaildirSource("m/mail", tmp_path, "m")
    assert src.size_hint == 1  # a census before the pass must not count it twice
    pages = drain(src)
    assert ids(pages) == ["m0"] and skipped(pages) == {"unreadable_folder": 1}


@pytest.mark.parametrize("kind", ["mbox", "maildir"])
def test_an_archive_root_that_cannot_be_read_is_one_clear_error(
        tmp_path: Path, unreadable: Unreadable, kind: str) -> None:
    root = tmp_path / "archive"
    (root / "cur").mkdir(parents=True)
    unreadable.deny(root)
    source = MboxSource("a/mail", root, "a") if kind == "mbox" else MaildirSource(
        "a/mail", root, "a")
    with pytest.raises(BadArchive) as caught:
        drain(source)
    assert "cannot be read" in str(caught.value) and "read access" in caught.value.hint


def test_an_unreadable_calendar_folder_is_counted_and_its_events_are_not_gone(
        tmp_path: Path, unreadable: Unreadable) -> None:
    """A folder of .ics files that cannot be listed is not a folder whose files were deleted:
    its occurrences stay (no ``gone``), the pass says it is incomplete, and once the folder is
    readable again nothing is read twice."""
    from connectors.local.ics import IcsSource

    event = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
             "DTSTART:20240105T100000Z\r\nDTEND:20240105T110000Z\r\n"
             "ATTENDEE:mailto:a@x.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    (tmp_path / "top.ics").write_text(event.format(uid="top"))
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "in.ics").write_text(event.format(uid="in"))
    first = list(IcsSource("c/calendar", tmp_path, "c").pages(None))
    assert len(ids(first)) == 2
    unreadable.deny(tmp_path / "locked")
    second = list(IcsSource("c/calendar", tmp_path, "c").pages(first[-1].cursor))
    assert [g for p in second for g in p.gone] == []
    assert skipped(second) == {"unreadable_folder": 1}
    assert any(p.incomplete for p in second)
    unreadable.restore()
    unreadable.denied.clear()
    third = list(IcsSource("c/calendar", tmp_path, "c").pages(second[-1].cursor))
    assert ids(third) == [] and [g for p in third for g in p.gone] == []
