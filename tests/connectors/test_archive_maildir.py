"""The maildir connector on generated trees: layouts, labels, resume, incremental passes, gone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from connectors import archive
from connectors.base import Env, MessageRecord, Page
from connectors.errors import BadArchive
from connectors.maildir import MaildirSource
from connectors.settings import MaildirAccount

from contract.suite import check_source


def mail(i: int) -> bytes:
    return (
        f"Message-ID: <m{i}@x.org>\r\nFrom: a{i}@x.org\r\nTo: me@y.org\r\n"
        f"Date: Mon, 3 Jan 2022 10:00:00 +0000\r\n\r\nbody {i}\r\n"
    ).encode()


def put(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def drain(source: MaildirSource, cursor: str | None = None) -> list[Page]:
    return list(source.pages(cursor))


def recs(pages: list[Page]) -> list[MessageRecord]:
    return [r for p in pages for r in p.records if isinstance(r, MessageRecord)]


def ids(pages: list[Page]) -> list[str]:
    return [r.source_id for p in pages for r in p.records]


def test_maildir_plus_plus_tree(tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / sub).mkdir()
    put(tmp_path / "cur" / "1.a.host:2,S", mail(1))
    put(tmp_path / "new" / "2.b.host", mail(2))
    put(tmp_path / "tmp" / "3.c.host", mail(3))  # being delivered: never read
    put(tmp_path / ".Sent" / "cur" / "4.d.host:2,RS", mail(4))
    put(tmp_path / ".Archive.2020" / "new" / "5.e.host", mail(5))
    put(tmp_path / ".Sent" / "maildirfolder", b"")
    put(tmp_path / "dovecot-uidlist", b"3 V1 N2\n")
    src = MaildirSource("m/mail", tmp_path, "m")
    got = {r.source_id: r.labels for r in recs(drain(src))}
    assert got == {
        "1.a.host": (),
        "2.b.host": (),
        ".Sent/4.d.host": ("Sent",),
        ".Archive.2020/5.e.host": ("Archive/2020",),
    }
    assert not src.skipped


def test_plain_folders_of_files_and_garbage(tmp_path: Path) -> None:
    put(tmp_path / "inbox" / "1", mail(1))
    put(tmp_path / "inbox" / "2", mail(2))
    put(tmp_path / "sent" / "2021" / "7", b"From me Mon Jan  3 10:00:00 2022\n" + mail(7))
    put(tmp_path / "sent" / "garbage", b"\x00\xff\xfe binary nonsense\n")
    put(tmp_path / "inbox" / ".hidden", mail(9))
    src = MaildirSource("m/mail", tmp_path, "m")
    records = recs(drain(src))
    assert [(r.source_id, r.labels) for r in records] == [
        ("inbox/1", ("inbox",)),
        ("inbox/2", ("inbox",)),
        ("sent/2021/7", ("sent/2021",)),
    ]
    assert records[2].message_id == "<m7@x.org>"
    assert src.skipped == {"no_headers": 1}


def test_single_file_path(tmp_path: Path) -> None:
    path = put(tmp_path / "one.eml", mail(1))
    assert ids(drain(MaildirSource("m/mail", path, "m"))) == ["one.eml"]


def test_size_hint_counts_files_before_and_after_the_first_page(tmp_path: Path) -> None:
    for i in range(7):
        put(tmp_path / "cur" / f"{i}.x:2,S", mail(i))
    src = MaildirSource("m/mail", tmp_path, "m", page_size=3)
    assert src.size_hint == 7
    pages = src.pages(None)
    next(pages)
    assert src.size_hint == 7
    assert len(ids([*pages])) == 4


def test_resume_from_every_page_yields_exactly_the_rest(tmp_path: Path) -> None:
    for i in range(23):
        put(tmp_path / ("a" if i % 2 else "b") / "cur" / f"{i:03d}.h:2,S", mail(i))

    def make() -> MaildirSource:
        # a pass start well after the files were written: none is "maybe changed after read"
        return MaildirSource("m/mail", tmp_path, "m", clock=lambda: time.time() + 60, page_size=5)

    pages = drain(make())
    assert len(ids(pages)) == len(set(ids(pages))) == 23
    for k, page in enumerate(pages):
        assert ids(drain(make(), page.cursor)) == ids(pages[k + 1 :])
    check_source(make)


def test_a_file_stamped_as_the_pass_began_is_read_again(tmp_path: Path) -> None:
    path = put(tmp_path / "cur" / "2.h:2,S", mail(2))
    stat = path.stat()
    stamp = max(stat.st_mtime, stat.st_ctime)
    src = MaildirSource("m/mail", tmp_path, "m", clock=lambda: stamp)
    cursor = drain(src)[-1].cursor
    # it may have changed after it was read in that same instant: read once more
    assert ids(drain(src, cursor)) == ["2.h"]
    src.clock = lambda: time.time() + 60
    assert ids(drain(src, drain(src, cursor)[-1].cursor)) == []


def test_later_passes_read_only_new_or_changed_files_and_report_gone(tmp_path: Path) -> None:
    for i in range(4):
        put(tmp_path / "cur" / f"{i}.h:2,S", mail(i))
    # the first pass "starts" in the future so that the files above count as old
    src = MaildirSource("m/mail", tmp_path, "m", clock=lambda: time.time() + 60)
    cursor = drain(src)[-1].cursor
    assert ids(drain(src, cursor)) == []
    put(tmp_path / "new" / "9.h", mail(9))  # new: known by its id
    changed = tmp_path / "cur" / "1.h:2,S"
    future = time.time() + 3600
    os.utime(changed, (future, future))  # modified: seen by its timestamp
    os.rename(tmp_path / "cur" / "2.h:2,S", tmp_path / "cur" / "2.h:2,RS")  # flags only
    (tmp_path / "cur" / "3.h:2,S").unlink()
    pages = drain(src, cursor)
    assert sorted(ids(pages)) == ["1.h", "9.h"]
    assert [g for p in pages for g in p.gone] == ["3.h"]


def test_missing_path_raises_bad_archive(tmp_path: Path) -> None:
    account = MaildirAccount(name="box", kind="maildir", path=tmp_path / "nope")
    with pytest.raises(BadArchive) as err:
        archive.build(account, Env(state_dir=tmp_path))
    assert "path" in err.value.hint and "box" in err.value.hint


def test_build_gives_a_maildir_source(tmp_path: Path) -> None:
    put(tmp_path / "cur" / "1.h:2,S", mail(1))
    account = MaildirAccount(name="box", kind="maildir", path=tmp_path)
    (source,) = archive.build(account, Env(state_dir=tmp_path))
    assert source.key == "box/mail"
    assert ids(list(source.pages(None))) == ["1.h"]
