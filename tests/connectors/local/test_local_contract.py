"""The mbox, maildir and ics sources pass the same contract as every other source, over
generated files."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.local import maildir, maildir_walk
from connectors.local.ics import IcsSource
from connectors.local.maildir import MaildirSource
from connectors.local.mbox import MboxSource

from contract.suite import SourceContract, Upstream

NOW = datetime(2024, 3, 1, tzinfo=UTC)


def message(i: int, separator: bool = False) -> bytes:
    head = f"From sender{i}@x.org Mon Jan  3 10:00:00 2022\n" if separator else ""
    return (f"{head}Message-ID: <m{i}@x.org>\nDate: Mon, 3 Jan 2022 10:00:{i % 60:02d} +0000\n"
            f"From: Sender {i} <sender{i}@x.org>\nTo: me@y.org\n\nbody line\n\n").encode()


class TestMboxContract(SourceContract):
    """Three files, pages of five; an mbox is append-only here: no deletions reported."""

    @pytest.fixture
    def upstream(self, tmp_path: Path) -> Upstream:
        for name, first, last in (("a.mbox", 0, 13), ("b.mbox", 13, 20), ("sub/c.mbox", 20, 25)):
            (tmp_path / name).parent.mkdir(exist_ok=True)
            (tmp_path / name).write_bytes(b"".join(message(i, True) for i in range(first, last)))
        return Upstream(lambda: MboxSource("a/mail", tmp_path, "a", page_size=5))

    @pytest.fixture
    def empty(self, tmp_path: Path) -> Upstream:
        return Upstream(lambda: MboxSource("a/mail", tmp_path, "a", page_size=5))


class TestMaildirContract(SourceContract):
    """Maildir, Maildir++ and plain folders, nested; pages of four; listed both ways."""

    LAYOUT = ("cur", ".Sent/cur", ".Sent/new", ".A.b/cur", "plain", "plain/sub", "z/cur")

    @pytest.fixture(autouse=True, params=["planned", "streamed", "windowed"])
    def listing(self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
        if request.param != "planned":
            monkeypatch.setattr(maildir, "PLAN_LIMIT", 0)
        if request.param == "windowed":  # each folder listed three files at a time
            monkeypatch.setattr(maildir_walk, "WINDOW", 3)

    @staticmethod
    def make(root: Path) -> MaildirSource:
        # a pass start well after the files were written: none is "maybe changed after read"
        return MaildirSource("m/mail", root, "m", clock=lambda: time.time() + 60, page_size=4)

    @pytest.fixture
    def upstream(self, tmp_path: Path) -> Upstream:
        for n in range(3 * len(self.LAYOUT)):
            folder = tmp_path / self.LAYOUT[n // 3]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{n:03d}.h:2,S").write_bytes(message(n))

        def delete(source_id: str) -> None:  # ids are "folder/NNN.h": file names are unique
            [path] = tmp_path.rglob(source_id.rpartition("/")[2] + ":2,S")
            path.unlink()

        # a deleted file comes as a name the next pass's listing no longer carries
        return Upstream(lambda: self.make(tmp_path), delete)

    @pytest.fixture
    def empty(self, tmp_path: Path) -> Upstream:
        return Upstream(lambda: self.make(tmp_path))


def vevent(uid: str, start: datetime) -> str:
    return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
            f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@y.org\r\nEND:VEVENT\r\n")


class TestIcsContract(SourceContract):
    """Three calendar files of four events each; pages of three; a weekly series in one."""

    @pytest.fixture
    def upstream(self, tmp_path: Path) -> Upstream:
        events = {f"cal{f}.ics": {f"e{f}-{i}": vevent(f"e{f}-{i}", NOW - timedelta(days=9 * i + f))
                                  for i in range(4)} for f in range(3)}
        events["cal0.ics"]["weekly"] = vevent("weekly", NOW - timedelta(days=30)).replace(
            "END:VEVENT", "RRULE:FREQ=WEEKLY;COUNT=5\r\nEND:VEVENT")

        def write(rel: str) -> None:
            body = "".join(events[rel].values())
            (tmp_path / rel).write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                                        f"{body}END:VCALENDAR\r\n")

        def delete(source_id: str) -> None:  # ids are "file:uid:occurrence"
            rel, uid, _ = source_id.split(":", 2)
            del events[rel][uid]
            write(rel)  # a changed size: the file is read again in full

        for rel in events:
            write(rel)
        return Upstream(lambda: IcsSource("c/calendar", tmp_path, "c", 60, lambda: NOW, 3),
                        delete)

    @pytest.fixture
    def empty(self, tmp_path: Path) -> Upstream:
        return Upstream(lambda: IcsSource("c/calendar", tmp_path, "c", 60, lambda: NOW, 3))
