"""The maildir connector on generated trees: layouts, labels, resume, incremental passes, the
listing every pass makes (how deletions reach the store), and memory that does not grow with
the number of folders."""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import Env, Listing, MessageRecord, Page
from connectors.errors import BadArchive
from connectors.local import archive, common, maildir, maildir_walk
from connectors.local.maildir import MaildirSource
from connectors.settings import MaildirAccount

from contract.suite import skipped


@pytest.fixture(autouse=True, params=["planned", "streamed", "windowed"])
def listing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every test runs three times: a small pass reuses its census; a large one lists folder by
    folder; a large folder is listed a window of files at a time (here two)."""
    if request.param != "planned":
        monkeypatch.setattr(maildir, "PLAN_LIMIT", 0)
    if request.param == "windowed":
        monkeypatch.setattr(maildir_walk, "WINDOW", 2)
    yield request.param


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


def named(pages: list[Page]) -> set[str]:
    """Every id a pass named, read or listed: what the engine keeps once the listing ends."""
    return {*ids(pages), *(sid for p in pages for sid in p.listed)}


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
    pages = drain(MaildirSource("m/mail", tmp_path, "m"))
    got = {r.source_id: r.labels for r in recs(pages)}
    assert got == {
        "1.a.host": (),
        "2.b.host": (),
        ".Sent/4.d.host": ("Sent",),
        ".Archive.2020/5.e.host": ("Archive/2020",),
    }
    assert not skipped(pages)


def test_plain_folders_of_files_and_garbage(tmp_path: Path) -> None:
    put(tmp_path / "inbox" / "1", mail(1))
    put(tmp_path / "inbox" / "2", mail(2))
    put(tmp_path / "sent" / "2021" / "7", b"From me Mon Jan  3 10:00:00 2022\n" + mail(7))
    put(tmp_path / "sent" / "garbage", b"\x00\xff\xfe binary nonsense\n")
    put(tmp_path / "inbox" / ".hidden", mail(9))
    pages = drain(MaildirSource("m/mail", tmp_path, "m"))
    records = recs(pages)
    assert [(r.source_id, r.labels) for r in records] == [
        ("inbox/1", ("inbox",)),
        ("inbox/2", ("inbox",)),
        ("sent/2021/7", ("sent/2021",)),
    ]
    assert records[2].message_id == "<m7@x.org>"
    assert skipped(pages) == {"no_headers": 1}


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


def test_later_passes_read_only_new_or_changed_files_and_list_the_rest(tmp_path: Path) -> None:
    for i in range(4):
        put(tmp_path / "cur" / f"{i}.h:2,S", mail(i))
    # the first pass "starts" in the future so that the files above count as old
    src = MaildirSource("m/mail", tmp_path, "m", clock=lambda: time.time() + 60)
    cursor = drain(src)[-1].cursor
    again = drain(src, cursor)
    assert ids(again) == [] and named(again) == {"0.h", "1.h", "2.h", "3.h"}
    future = time.time() + 3600
    os.utime(put(tmp_path / "new" / "9.h", mail(9)), (future, future))  # new since that pass
    os.utime(tmp_path / "cur" / "1.h:2,S", (future, future))  # modified: seen by its timestamp
    os.rename(tmp_path / "cur" / "2.h:2,S", tmp_path / "cur" / "2.h:2,RS")  # flags only
    (tmp_path / "cur" / "3.h:2,S").unlink()
    pages = drain(src, cursor)
    assert sorted(ids(pages)) == ["1.h", "9.h"]
    assert pages[0].listing == Listing() and all(p.listing is None for p in pages[1:])
    assert named(pages) == {"0.h", "1.h", "2.h", "9.h"}  # 3.h is not named: the engine forgets it
    assert not any(p.gone for p in pages)


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


def test_nested_folders_resume_from_every_page(tmp_path: Path) -> None:
    layout = ["cur", ".Sent/cur", ".Sent/new", ".A.b/cur", "plain", "plain/sub", "plain/sub/x",
              "plain/sub-2", "plain/a b", "z/cur"]
    n = 0
    for folder in layout:
        for _ in range(3):
            put(tmp_path / folder / f"{n:03d}.h", mail(n))
            n += 1

    def make() -> MaildirSource:
        return MaildirSource("m/mail", tmp_path, "m", clock=lambda: time.time() + 60, page_size=4)

    pages = drain(make())
    got = ids(pages)
    assert sorted(got) == sorted(set(got)) and len(got) == n
    # folder by folder, depth first in name order; each folder's files sorted
    assert list(dict.fromkeys(g.rpartition("/")[0] for g in got)) == [
        "", ".A.b", ".Sent", "plain", "plain/a b", "plain/sub", "plain/sub/x", "plain/sub-2", "z"]
    for k, page in enumerate(pages):
        assert ids(drain(make(), page.cursor)) == got[len(ids(pages[: k + 1])):]


def test_a_cursor_from_before_folders_restarts_its_pass(tmp_path: Path) -> None:
    for i in range(5):
        put(tmp_path / "cur" / f"{i}.h:2,S", mail(i))
    src = MaildirSource("m/mail", tmp_path, "m", clock=lambda: time.time() + 60, page_size=2)
    done = drain(src)[-1].cursor
    assert done is not None and "dir" not in json.loads(done)  # a completed pass: as before
    assert "ids" not in json.loads(done)
    assert ids(drain(src, done)) == []
    old = json.dumps({"v": 1, "start": time.time() + 60, "since": None, "pos": "2.h\x002.h:2,S",
                      "ids": None})
    assert ids(drain(src, old)) == [f"{i}.h" for i in range(5)]  # the store is idempotent


def test_size_hint_of_an_incremental_pass_counts_changed_files(tmp_path: Path, listing: str
                                                               ) -> None:
    for i in range(6):
        put(tmp_path / ("cur" if i % 2 else "sub/cur") / f"{i}.h:2,S", mail(i))
    src = MaildirSource("m/mail", tmp_path, "m", clock=lambda: time.time() + 60, page_size=1)
    cursor = drain(src)[-1].cursor
    future = time.time() + 3600
    os.utime(put(tmp_path / "sub" / "new" / "9.h", mail(9)), (future, future))
    assert src.size_hint == 7  # before the pass: every file
    pages = src.pages(cursor)
    assert ids([next(pages)]) == ["sub/9.h"]
    # a tree too large to plan is listed once, not counted first: the hint stays every file
    assert src.size_hint == (1 if listing == "planned" else 7)


def test_whole_second_stamps_look_back_further(tmp_path: Path) -> None:
    began = int(time.time()) + 100  # in the future so that ctime (now) does not count
    for name, stamp in (("c/cur/1.h", began - 1), ("f/cur/2.h", began - 0.5)):
        os.utime(put(tmp_path / name, mail(1)), (stamp, stamp))
    src = MaildirSource("m/mail", tmp_path, "m", clock=lambda: began)
    cursor = drain(src)[-1].cursor
    # folder c keeps whole seconds: a file stamped a second before the pass may have changed
    assert ids(drain(src, cursor)) == ["c/1.h"]


def _peak_bytes(root: Path) -> int:
    list(MaildirSource("m/mail", root, "m", page_size=10).pages(None))  # warm caches
    source = MaildirSource("m/mail", root, "m", page_size=10)
    tracemalloc.start()
    try:
        for _ in source.pages(None):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_pass_holds_one_folder_listing_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maildir, "PLAN_LIMIT", 10)
    for folders in (8, 64):
        for k in range(folders):
            for i in range(25):
                put(tmp_path / str(folders) / f"f{k:03d}" / "cur" / f"{i:03d}.h:2,S", mail(i))
    few, many = _peak_bytes(tmp_path / "8"), _peak_bytes(tmp_path / "64")
    # 1,400 more files in 56 more folders; holding them all at once costs ~500 kB
    assert many - few < 100_000


def test_every_pass_names_every_file_in_bounded_pages_and_resumes_its_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "LISTED_SIZE", 3)
    every = set()
    for i in range(26):
        folder = ("cur", ".Sent/cur", "plain/sub")[i % 3]
        put(tmp_path / folder / f"{i:03d}.h:2,S", mail(i))
        every.add(f"{'' if folder == 'cur' else folder.removesuffix('/cur') + '/'}{i:03d}.h")

    def make() -> MaildirSource:
        return MaildirSource("m/mail", tmp_path, "m", clock=lambda: time.time() + 60, page_size=4)

    cursor = drain(make())[-1].cursor
    pages = drain(make(), cursor)  # nothing changed: every file is named, none is read
    assert ids(pages) == [] and named(pages) == every
    assert all(len(p.listed) <= 3 for p in pages) and len(pages) >= 9
    assert pages[0].listing == Listing() and not any(p.listing for p in pages[1:])
    for k, page in enumerate(pages[:-1]):  # a resumed pass goes on with the same listing
        rest = drain(make(), page.cursor)
        assert not any(p.listing for p in rest)
        assert named(rest) == named(pages[k + 1:])
    # deletions come as files no longer named, at any size: no id set rides in the cursor
    (tmp_path / ".Sent" / "cur" / "001.h:2,S").unlink()
    later = drain(make(), cursor)
    assert named(later) == every - {".Sent/001.h"} and not any(p.gone for p in later)
    assert all(len(p.cursor or "") < 200 for p in later)


def test_a_cursor_holding_the_old_id_set_still_loads(tmp_path: Path) -> None:
    for i in range(3):
        put(tmp_path / "cur" / f"{i}.h:2,S", mail(i))
    old = json.dumps({"v": 1, "start": None, "since": time.time() + 60, "pos": None,
                      "ids": common.pack_ids(["0.h", "1.h", "2.h", "7.h"])})
    src = MaildirSource("m/mail", tmp_path, "m", clock=lambda: time.time() + 120)
    pages = drain(src, old)
    assert pages[0].listing == Listing() and named(pages) == {"0.h", "1.h", "2.h"}
    assert ids(pages) == [] and "ids" not in json.loads(pages[-1].cursor or "{}")


def test_a_file_that_cannot_be_read_is_still_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(2):
        put(tmp_path / "cur" / f"{i}.h:2,S", mail(i))
    real = maildir.read_head

    def locked(path: str) -> bytes:
        if "1.h" in path:
            raise PermissionError(path)
        return real(path)

    monkeypatch.setattr(maildir, "read_head", locked)
    pages = drain(MaildirSource("m/mail", tmp_path, "m"))
    assert ids(pages) == ["0.h"] and named(pages) == {"0.h", "1.h"}  # not forgotten
    assert skipped(pages) == {"unreadable_file": 1}


def test_a_folder_is_listed_once_and_read_a_window_at_a_time_in_sorted_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows of at most WINDOW keys, sorted, each after the last, from one listing of the
    folder (it was listed again for every window); the same name in cur and new is two keys;
    a resume point (``pos``: source id NUL file name) skips both."""
    from connectors.local.maildir_select import READ, windows

    names = [f"{n:03d}.x.host:2,S" for n in (7, 3, 9, 1, 5, 2, 8)]
    for name in names:
        put(tmp_path / "cur" / name, mail(1))
    put(tmp_path / "new" / "005.x.host", mail(2))  # source id 005.x.host, as in cur
    monkeypatch.setattr(maildir_walk, "WINDOW", 3)
    folder = next(maildir_walk.folders(tmp_path))
    every = sorted(f"{sid}\0{name}\0{i}" for sid, name, i, _ in maildir_walk.files(folder, False))
    listed = maildir_walk.files
    listings: list[int] = []
    monkeypatch.setattr(maildir_walk, "files", lambda *a: listings.append(1) or listed(*a))
    batches = [keys for _, keys in windows(folder, None, None, set())]
    assert [len(k) for k in batches] == [3, 3, 2] and len(listings) == 1
    seen = [k.removesuffix(READ) for keys in batches for k in keys]
    assert seen == every and len(every) == 8
    after = [k.removesuffix(READ) for _, keys in windows(
        folder, None, "005.x.host\x00005.x.host:2,S", set()) for k in keys]
    assert after == every[5:8]  # both keys of 005 (new sorts first) are at or before it
    (tmp_path / "empty" / "cur").mkdir(parents=True)
    empty = next(maildir_walk.folders(tmp_path / "empty"))
    assert [keys for _, keys in windows(empty, None, None, set())] == [[]]  # one, empty


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=6)), st.integers(1, 5))
def test_sorted_runs_merge_to_the_sorted_keys(keys: list[str], window: int) -> None:
    """Spilled runs (any text, NUL and non-ASCII included) merge back in sorted order."""
    from connectors.local.maildir_runs import sorted_keys

    assert list(sorted_keys(iter(keys), window)) == sorted(keys)


def test_a_census_stops_building_keys_past_its_limit(tmp_path: Path) -> None:
    """A folder larger than what a plan may hold is only counted: no key list of it is kept."""
    from connectors.local.maildir_select import select

    for n in range(5):
        put(tmp_path / "cur" / f"{n}.x.host", mail(n))
    folder = next(maildir_walk.folders(tmp_path))
    count, keys = select(folder, None, limit=5)
    assert count == 5 and keys is not None and len(keys) == 5
    assert select(folder, None, limit=4) == (5, None)
    assert select(folder, None, keys=False, limit=4) == (5, [])
