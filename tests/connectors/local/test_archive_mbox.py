"""The mbox connector on generated files: Takeout ids, paging, resume and appended tails."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import Env, Listing, MessageRecord, Page
from connectors.errors import BadArchive
from connectors.local import archive
from connectors.local.mbox import MboxSource
from connectors.settings import MboxAccount

from contract.suite import skipped

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "enron"


def message(i: int, extra: str = "") -> bytes:
    return (
        f"From sender{i}@x.org Mon Jan  3 10:00:00 2022\n"
        f"Message-ID: <m{i}@x.org>\nDate: Mon, 3 Jan 2022 10:00:{i % 60:02d} +0000\n"
        f"From: Sender {i} <sender{i}@x.org>\nTo: me@y.org\n{extra}Subject: s{i}\n\n"
        f"body line\nFrom: quoted in the body\n>From escaped\n\n"
    ).encode()


def drain(source: MboxSource, cursor: str | None = None) -> list[Page]:
    return list(source.pages(cursor))


def ids(pages: list[Page]) -> list[str]:
    return [r.source_id for p in pages for r in p.records]


def records(pages: list[Page]) -> list[MessageRecord]:
    return [r for p in pages for r in p.records if isinstance(r, MessageRecord)]


def test_takeout_mbox(tmp_path: Path) -> None:
    data = (
        b"From 1721234567890123456@xxx Wed Jan 05 10:00:00 +0000 2022\r\n"
        b"X-GM-THRID: 1721234567890000000\r\n"
        b'X-Gmail-Labels: Sent,Opened,"Clients, VIP"\r\n'
        b"Message-ID: <t1@mail.gmail.com>\r\n"
        b"From: Me <me@gmail.com>\r\nTo: a@x.org\r\nTo: b@x.org\r\n"
        b"Subject: =?UTF-8?B?w6k=?=\r\n\r\nbody\r\n\r\n"
        b"From 1721234567890999999@xxx Wed Jan 05 11:00:00 +0000 2022\r\n"
        b"X-Gmail-Labels: Inbox\r\nFrom: =?utf-8?q?Jos=C3=A9?= <jose@y.es>\r\n\r\nhi\r\n"
    )
    path = tmp_path / "All mail Including Spam and Trash.mbox"
    path.write_bytes(data)
    first, second = records(drain(MboxSource("t/mail", path, "t")))
    assert first.source_id == format(1721234567890123456, "x")
    assert first.thread_id == format(1721234567890000000, "x")
    assert first.labels == ("All mail Including Spam and Trash", "Sent", "Opened", "Clients, VIP")
    assert first.to == ("a@x.org", "b@x.org")
    assert first.date_header is None
    assert second.from_ == ("=?utf-8?q?Jos=C3=A9?= <jose@y.es>",)
    assert second.thread_id is None


def test_folder_of_mbox_files_with_a_garbage_file(tmp_path: Path) -> None:
    (tmp_path / "sent.mbox").write_bytes(message(1) + message(2))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "inbox.mbox").write_bytes(message(3))
    (tmp_path / "junk.mbox").write_bytes(b"\x89PNG\r\n\x1a\nnot an mbox")
    (tmp_path / "notes.txt").write_text("ignored quietly")
    (tmp_path / "empty.mbox").write_bytes(b"")
    src = MboxSource("a/mail", tmp_path, "a")
    pages = drain(src)
    recs = records(pages)
    assert [r.source_id for r in recs] == [
        "sent.mbox:0",
        f"sent.mbox:{len(message(1))}",
        "sub/inbox.mbox:0",
    ]
    assert [r.labels for r in recs] == [("sent",), ("sent",), ("sub/inbox",)]
    assert recs[0].message_id == "<m1@x.org>" and recs[0].to == ("me@y.org",)
    assert skipped(pages) == {"not_mbox": 1}
    assert src.size_hint is None


def test_header_garbage_inside_an_mbox_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "x.mbox"
    path.write_bytes(message(1) + b"From nobody\n\x00\x01garbage\n\n" + message(2))
    pages = drain(MboxSource("a/mail", path, "a"))
    assert len(records(pages)) == 2
    assert skipped(pages) == {"no_headers": 1}


def test_resume_from_every_page_yields_exactly_the_rest(tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_bytes(b"".join(message(i) for i in range(13)))
    (tmp_path / "b.mbox").write_bytes(b"".join(message(i) for i in range(13, 20)))
    (tmp_path / "c.mbox").write_bytes(b"".join(message(i) for i in range(20, 25)))

    def make() -> MboxSource:
        return MboxSource("a/mail", tmp_path, "a", page_size=5)

    pages = drain(make())
    everything = ids(pages)
    assert len(everything) == len(set(everything)) == 25
    assert all(len(p.records) <= 5 for p in pages)
    for k, page in enumerate(pages):
        assert ids(drain(make(), page.cursor)) == ids(pages[k + 1 :])


def test_appended_tail_is_read_incrementally(tmp_path: Path) -> None:
    path = tmp_path / "inbox.mbox"
    path.write_bytes(message(1) + message(2))
    src = MboxSource("a/mail", tmp_path, "a")
    cursor = drain(src)[-1].cursor
    assert ids(drain(src, cursor)) == []
    with path.open("ab") as f:
        f.write(message(3) + message(4))
    pages = drain(src, cursor)
    assert [r.message_id for r in records(pages)] == ["<m3@x.org>", "<m4@x.org>"]
    assert ids(drain(src, pages[-1].cursor)) == []


def test_rewritten_or_shrunk_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "inbox.mbox"
    path.write_bytes(message(1) + message(2))
    src = MboxSource("a/mail", tmp_path, "a")
    cursor = drain(src)[-1].cursor
    path.write_bytes(message(5))
    assert [r.message_id for r in records(drain(src, cursor))] == ["<m5@x.org>"]
    path.write_bytes(message(7) + message(8) + message(9))  # grew, but the start changed
    got = [r.message_id for r in records(drain(src, cursor))]
    assert got == ["<m7@x.org>", "<m8@x.org>", "<m9@x.org>"]


def test_tail_starting_mid_message_skips_to_the_next_separator(tmp_path: Path) -> None:
    path = tmp_path / "inbox.mbox"
    whole = message(1) + message(2)
    cut = len(message(1)) + 20  # the writer was in the middle of message 2
    path.write_bytes(whole[:cut])
    src = MboxSource("a/mail", tmp_path, "a")
    cursor = drain(src)[-1].cursor
    path.write_bytes(whole + message(3))
    assert [r.message_id for r in records(drain(src, cursor))] == ["<m3@x.org>"]


def test_missing_path_raises_bad_archive(tmp_path: Path) -> None:
    account = MboxAccount(name="old", kind="mbox", path=tmp_path / "nope.mbox")
    with pytest.raises(BadArchive) as err:
        archive.build(account, Env(state_dir=tmp_path))
    assert "path" in err.value.hint and "old" in err.value.hint


def test_build_registers_one_mail_source(tmp_path: Path) -> None:
    (tmp_path / "x.mbox").write_bytes(message(1))
    account = MboxAccount(name="old", kind="mbox", path=tmp_path)
    (source,) = archive.build(account, Env(state_dir=tmp_path))
    assert source.key == "old/mail"
    assert len(ids(list(source.pages(None)))) == 1


@pytest.mark.skipif(not SHARED.exists(), reason="../shared (real Enron mboxes) is not present")
def test_real_enron_mailbox() -> None:
    src = MboxSource("allen/mail", SHARED / "allen-p", "allen")
    pages = drain(src)
    recs = records(pages)
    raw = sum(p.read_bytes().count(b"\nFrom ") + 1 for p in (SHARED / "allen-p").glob("*.mbox"))
    assert len(recs) == raw
    assert not skipped(pages)
    assert all(r.message_id and r.from_ for r in recs)
    assert any(r.labels == ("sent",) for r in recs)
    assert ids(drain(src, pages[-1].cursor)) == []


def named(pages: list[Page]) -> set[str]:
    """Every id a pass named, read or listed."""
    return {*ids(pages), *(sid for p in pages for sid in p.listed)}


def test_a_first_pass_opens_a_listing_and_an_appending_pass_does_not(tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_bytes(b"".join(message(i) for i in range(4)))
    src = MboxSource("a/mail", tmp_path, "a", page_size=2)
    pages = drain(src)
    assert pages[0].listing == Listing() and not any(p.listing for p in pages[1:])
    with (tmp_path / "a.mbox").open("ab") as f:
        f.write(message(9))
    later = drain(src, pages[-1].cursor)
    assert len(ids(later)) == 1 and not any(p.listing or p.listed for p in later)


@pytest.mark.parametrize("change", ["rewrite", "truncate", "remove"])
def test_a_file_rewritten_truncated_or_removed_opens_a_listing_naming_everything(
    tmp_path: Path, change: str
) -> None:
    (tmp_path / "a.mbox").write_bytes(b"".join(message(i) for i in range(5)))
    (tmp_path / "b.mbox").write_bytes(b"".join(message(i) for i in range(10, 13)))
    src = MboxSource("a/mail", tmp_path, "a", page_size=2)
    first = drain(src)
    before = named(first)
    b_ids = {i for i in before if i.startswith("b.mbox:")}
    if change == "rewrite":  # the first message deleted by a mail client
        (tmp_path / "b.mbox").write_bytes(b"".join(message(i) for i in range(11, 13)))
    elif change == "truncate":
        (tmp_path / "b.mbox").write_bytes(b"")
    else:
        (tmp_path / "b.mbox").unlink()
    pages = drain(src, first[-1].cursor)
    assert pages[0].listing == Listing() and not any(p.listing for p in pages[1:])
    a_ids = before - b_ids
    assert a_ids <= named(pages) and not a_ids & set(ids(pages))  # named, not read again
    if change == "rewrite":
        assert named(pages) - a_ids == {"b.mbox:0", f"b.mbox:{len(message(11))}"}
    else:
        assert named(pages) == a_ids
    for k, page in enumerate(pages[:-1]):  # a resumed listing names at least the rest
        rest = drain(MboxSource("a/mail", tmp_path, "a", page_size=2), page.cursor)
        assert not any(p.listing for p in rest) and named(pages[k + 1:]) <= named(rest)
    again = drain(src, pages[-1].cursor)
    assert not any(p.listing or p.listed or p.records for p in again)


def test_a_grown_file_in_a_listing_names_its_old_part_and_reads_its_tail(tmp_path: Path) -> None:
    (tmp_path / "a.mbox").write_bytes(b"".join(message(i) for i in range(3)))
    (tmp_path / "b.mbox").write_bytes(message(7))
    src = MboxSource("a/mail", tmp_path, "a")
    first = drain(src)
    (tmp_path / "b.mbox").unlink()
    with (tmp_path / "a.mbox").open("ab") as f:
        f.write(message(3))
    pages = drain(src, first[-1].cursor)
    assert pages[0].listing == Listing()
    assert len(ids(pages)) == 1 and len({sid for p in pages for sid in p.listed}) == 3


def test_a_file_unreadable_during_a_listing_is_read_again_next_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.local import mbox

    (tmp_path / "a.mbox").write_bytes(b"".join(message(i) for i in range(2)))
    (tmp_path / "b.mbox").write_bytes(message(5))
    src = MboxSource("a/mail", tmp_path, "a")
    first = drain(src)
    (tmp_path / "b.mbox").unlink()  # the next pass is a listing
    real = mbox.mmap.mmap
    monkeypatch.setattr(mbox.mmap, "mmap", lambda *a, **k: (_ for _ in ()).throw(OSError("io")))
    pages = drain(src, first[-1].cursor)
    assert pages[0].listing == Listing() and skipped(pages) == {"unreadable_file": 1}
    monkeypatch.setattr(mbox.mmap, "mmap", real)
    again = drain(src, pages[-1].cursor)  # a.mbox went unnamed: read again, not skipped
    assert len(ids(again)) == 2


def test_a_listing_cut_at_a_file_boundary_resumes_as_the_same_listing(tmp_path: Path) -> None:
    """A page that ends with a file resumes inside the pass: the files after it are still
    named, or the engine would forget their unchanged messages when the listing closes."""
    folder = tmp_path / "mboxes"
    folder.mkdir()
    for name, first in (("a.mbox", 0), ("b.mbox", 10), ("c.mbox", 20)):
        (folder / name).write_bytes(b"".join(message(first + i) for i in range(2)))
    src = MboxSource("arch/mail", folder, "arch", page_size=2)
    first = drain(src)
    (folder / "a.mbox").write_bytes(message(30) + message(31))  # rewritten: the pass lists
    listing = drain(src, first[-1].cursor)
    assert listing[0].listing is not None
    cut = next(i for i, p in enumerate(listing) if p.records)  # the page that ends a.mbox
    rest = drain(src, listing[cut].cursor)
    named = {sid for p in listing[: cut + 1] + rest for sid in (*ids([p]), *p.listed)}
    assert {s for s in named if not s.startswith("a.mbox")} == {
        s for s in ids(first) if not s.startswith("a.mbox")}
