"""Outlook mail stream against the fake Graph on loopback (TLS), through real msal and httpx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.base import Listing, MessageRecord
from connectors.errors import CursorExpired, SourceUnavailable
from connectors.microsoft.graph_mail import SELECT

from contract.suite import skipped
from fakes.graph_fixtures import Store, Waits, running_fake, sign_in, sources
from fakes.graph_mailbox import box
from fakes.graph_server import FakeGraph


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGraph]:
    with running_fake(tmp_path, monkeypatch) as g:
        sign_in(g, tmp_path / "state")
        yield g


def mail(fake: FakeGraph, tmp_path: Path, waits: Waits | None = None):  # noqa: ANN201
    return sources(fake, tmp_path / "state", waits)["mail"]


def populate(fake: FakeGraph) -> dict[str, str]:
    """A mailbox with filed folders (nested too) and folders that must never be read."""
    b = fake.mailbox
    clients = b.add_folder("Clients")
    acme = b.add_folder("Acme", parent=clients)
    ids = {"inbox": b.add_message("inbox", "Doe, John <x>"),  # not SMTP: skipped, counted
           "inbox2": b.add_message("inbox", "bob@example.com", inferenceClassification="other"),
           "sent": b.add_message("sentitems", "me@contoso.example", to=("carol@example.com",)),
           "archive": b.add_message("archive", "dave@example.com"),
           "acme": b.add_message(acme, "erin@acme.example"),
           "clients": b.add_message(clients, "frank@example.com")}
    for folder in ("junkemail", "deleteditems", "drafts", "outbox"):
        b.add_message(folder, "never@example.com")
    return ids


def test_first_sync_reads_every_filed_folder_with_metadata_only(fake: FakeGraph,
                                                                  tmp_path: Path) -> None:
    ids = populate(fake)
    pages = list(mail(fake, tmp_path).pages(None))
    store = Store()
    store.apply(pages)
    assert set(store) == set(ids.values())
    sent = store[ids["sent"]]
    assert isinstance(sent, MessageRecord)
    assert sent.labels == ("sentitems",)
    assert sent.when == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)  # receivedDateTime, even here
    assert sent.to == ("carol@example.com",)
    assert sent.message_id == f"<{ids['sent']}@mail.example>"
    inbox2 = store[ids["inbox2"]]
    assert inbox2.labels == ("inbox", "inference:other")
    assert inbox2.when == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert store[ids["acme"]].labels == ("Acme",)
    assert store[ids["inbox"]].from_ == ()
    assert skipped(pages)["bad_address"] == 2  # from and sender of the same message
    assert fake.selects and all(s == SELECT for s in fake.selects)  # no subject, no body
    assert fake.missing_immutable == 0
    assert fake.max_in_flight <= 4


def test_resume_after_kill_yields_exactly_the_rest(fake: FakeGraph, tmp_path: Path) -> None:
    fake.page_cap = 4
    for folder in ("inbox", "archive", "sentitems"):
        for i in range(13):
            fake.mailbox.add_message(folder, f"p{i}@example.com")
    every = [r.source_id for p in mail(fake, tmp_path).pages(None) for r in p.records]
    assert len(every) == len(set(every)) == 39
    for k in (0, 3, 7):
        pages = mail(fake, tmp_path).pages(None)
        head = [next(pages) for _ in range(k + 1)]
        pages.close()  # the process dies after committing page k
        done = {r.source_id for p in head for r in p.records}
        rest = [r.source_id for p in mail(fake, tmp_path).pages(head[-1].cursor)
                for r in p.records]
        assert len(rest) == len(set(rest)) and not done & set(rest)
        assert done | set(rest) == set(every)


def test_incremental_adds_moves_and_deletes(fake: FakeGraph, tmp_path: Path) -> None:
    b = fake.mailbox
    keep, to_archive, to_trash, hard, to_junk = (b.add_message("inbox") for _ in range(5))
    store = Store()
    cursor = store.apply(mail(fake, tmp_path).pages(None))
    new = b.add_message("inbox", "new@example.com")
    b.move(to_archive, "archive")
    b.move(to_trash, "deleteditems")
    b.move(to_junk, "junkemail")
    b.delete(hard)
    src = mail(fake, tmp_path)
    cursor = store.apply(src.pages(cursor), cursor)
    assert set(store) == {keep, to_archive, new}
    assert store[to_archive].labels == ("archive",)  # one record, same immutable id
    # a quiet round yields no records and no removals, only the moved-on cursor
    quiet = list(mail(fake, tmp_path).pages(cursor))
    assert not any(p.records or p.gone for p in quiet)


def test_folders_created_later_are_picked_up(fake: FakeGraph, tmp_path: Path) -> None:
    fake.mailbox.add_message("inbox")
    store = Store()
    cursor = store.apply(mail(fake, tmp_path).pages(None))
    project = fake.mailbox.add_folder("Project X", parent=fake.mailbox.folder("inbox"))
    late = fake.mailbox.add_message(project, "pm@example.com")
    store.apply(mail(fake, tmp_path).pages(cursor), cursor)
    assert late in store and store[late].labels == ("Project X",)


@pytest.mark.parametrize("expiry", ["410", "syncStateNotFound", "resyncRequired"])
def test_expired_delta_token_resyncs_that_folder_without_loss(
        fake: FakeGraph, tmp_path: Path, expiry: str) -> None:
    fake.expiry = expiry
    old = [fake.mailbox.add_message("inbox") for _ in range(3)]
    store = Store()
    cursor = store.apply(mail(fake, tmp_path).pages(None))
    fake.mailbox.expire_tokens()
    new = fake.mailbox.add_message("inbox")
    src = mail(fake, tmp_path)
    cursor = store.apply(src.pages(cursor), cursor)
    assert set(store) == {*old, new}
    assert fake.mailbox.token(cursor_link_token(cursor)) is not None  # a fresh, valid token


def cursor_link_token(cursor: str | None) -> str:
    import json

    assert cursor
    link = json.loads(cursor)["folders"]["AAMk-inbox"]
    return link.split("$deltatoken=")[1]


def test_expired_mid_round_skip_token_restarts(fake: FakeGraph, tmp_path: Path) -> None:
    fake.page_cap = 2
    msgs = [fake.mailbox.add_message("inbox") for _ in range(6)]
    pages = mail(fake, tmp_path).pages(None)
    first = next(pages)
    pages.close()
    fake.mailbox.expire_tokens()
    store = Store()
    store.apply([first])
    store.apply(mail(fake, tmp_path).pages(first.cursor), first.cursor)
    assert set(store) == set(msgs)


def test_throttling_storm_honours_fractional_retry_after(fake: FakeGraph, tmp_path: Path) -> None:
    for i in range(3):
        fake.mailbox.add_message("inbox", f"t{i}@example.com")
    fake.inject("/messages/delta", 429, retry_after="2.128", times=4)
    fake.inject("/mailFolders/inbox", 503, retry_after="1", times=1)
    fake.inject("/messages/delta", 504, times=1)
    waits = Waits()
    store = Store()
    store.apply(mail(fake, tmp_path, waits).pages(None))
    assert len(store) == 3
    assert waits.count(2.128) == 4 and waits.count(1.0) == 1
    assert len(waits) == 6  # plus one exponential backoff for the bare 504


def test_throttling_beyond_the_budget_gives_up(fake: FakeGraph, tmp_path: Path) -> None:
    fake.mailbox.add_message("inbox")
    fake.inject("/messages/delta", 429, retry_after="0.5", times=1000)
    waits = Waits()
    with pytest.raises(SourceUnavailable):
        list(mail(fake, tmp_path, waits).pages(None))
    assert waits and all(w == 0.5 for w in waits)


def test_malformed_recipients_are_skipped_and_counted(fake: FakeGraph, tmp_path: Path) -> None:
    legacy = "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=x"
    mid = fake.mailbox.add_message(
        "inbox", "ok@example.com", toRecipients=[
            box("good@example.com", "Doe, John"), box(legacy, "Legacy"), box("Just A Name"),
            box("Ann <ann@example.com>"), {"emailAddress": None}, {}, None,
            {"emailAddress": {"name": "José Pérez", "address": "jose@example.es"}}],
        ccRecipients="not a list", bccRecipients=[box("dup@example.com")])
    pages = list(mail(fake, tmp_path).pages(None))
    store = Store()
    store.apply(pages)
    rec = store[mid]
    assert isinstance(rec, MessageRecord)
    assert rec.to == ('"Doe, John" <good@example.com>',
                      "=?utf-8?b?Sm9zw6kgUMOpcmV6?= <jose@example.es>")
    assert rec.cc == () and rec.bcc == ("dup@example.com",)
    assert skipped(pages) == {"bad_address": 3, "missing_address": 3}


def test_drafts_and_replays_and_empty_pages(fake: FakeGraph, tmp_path: Path) -> None:
    fake.page_cap, fake.replay, fake.empty_first_page = 3, True, True
    msgs = [fake.mailbox.add_message("inbox", when=datetime(2025, 1, 1, tzinfo=UTC)
                                     + timedelta(hours=i)) for i in range(8)]
    fake.mailbox.add_message("inbox", isDraft=True)
    pages = list(mail(fake, tmp_path).pages(None))
    store = Store()
    store.apply(pages)
    assert set(store) == set(msgs)
    assert all(len({r.source_id for r in p.records}) == len(p.records) for p in pages)
    assert skipped(pages)["draft"] == 1


def test_unreadable_cursor_asks_for_a_full_resync(fake: FakeGraph, tmp_path: Path) -> None:
    with pytest.raises(CursorExpired):
        list(mail(fake, tmp_path).pages("{not json"))


def test_removed_later_in_the_same_round_is_gone(fake: FakeGraph, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A message deleted while its folder's round is being read shows up added on one page and
    # @removed on a later one: the removal must win, not pass for a move into another folder.
    fake.page_cap = 2
    b = fake.mailbox
    inbox = b.folder("inbox")
    doomed, *others = (b.add_message("inbox") for _ in range(3))
    start_round = b.start_round

    def deleted_mid_round(key: str, meta: dict[str, str], since: int | None):  # noqa: ANN202
        r = start_round(key, meta, since)
        if key == inbox and since is None:
            r.items.append({"id": doomed, "@removed": {"reason": "deleted"}})
            b.messages.pop(doomed)
        return r

    monkeypatch.setattr(b, "start_round", deleted_mid_round)
    store = Store()
    store.apply(mail(fake, tmp_path).pages(None))
    assert set(store) == set(others)


# ---- issue 10: the store equals the mailbox --------------------------------------------------

def listings(pages: list) -> list[tuple[int, Listing]]:  # type: ignore[type-arg]
    return [(i, p.listing) for i, p in enumerate(pages) if p.listing is not None]


def present(fake: FakeGraph) -> set[str]:
    """The ids of every message in a synced folder of the fake, now."""
    b = fake.mailbox
    skip = {b.folder(n) for n in ("junkemail", "deleteditems", "drafts", "outbox")}
    return {m for m, msg in b.messages.items()
            if msg["parentFolderId"] not in skip and not msg.get("isDraft")}


def test_first_pass_opens_one_listing_on_its_first_page(fake: FakeGraph, tmp_path: Path) -> None:
    assert listings(list(mail(fake, tmp_path).pages(None))) == [(0, Listing())]  # empty box
    fake.page_cap = 2
    populate(fake)
    pages = list(mail(fake, tmp_path).pages(None))
    assert listings(pages) == [(0, Listing())] and len(pages) > 3
    store = Store()
    cursor = store.apply(pages)
    assert set(store) == present(fake)
    assert listings(list(mail(fake, tmp_path).pages(cursor))) == []  # deltas list nothing


@pytest.mark.parametrize("expiry", ["410", "syncStateNotFound"])
def test_expired_token_relists_every_folder_and_the_store_forgets_the_rest(
        fake: FakeGraph, tmp_path: Path, expiry: str) -> None:
    fake.expiry, fake.page_cap = expiry, 2
    b = fake.mailbox
    kept = [b.add_message(f) for f in ("inbox", "archive", "sentitems") for _ in range(3)]
    store = Store()
    cursor = store.apply(mail(fake, tmp_path).pages(None))
    fake.mailbox.expire_tokens()
    b.delete(kept[0])  # in a folder whose token expired: no delta will ever say so
    b.messages.pop(kept[4])  # in another folder, unlogged: only a listing can tell
    b.move(kept[7], "junkemail")
    pages = list(mail(fake, tmp_path).pages(cursor))
    assert [i for i, _ in listings(pages)] == [0]
    cursor = store.apply(pages, cursor)
    assert set(store) == present(fake) == set(kept) - {kept[0], kept[4], kept[7]}
    assert store.forgotten == {kept[0], kept[4], kept[7]} - {g for p in pages for g in p.gone}


def test_changes_between_pages_of_a_listing_are_caught_up(fake: FakeGraph,
                                                          tmp_path: Path) -> None:
    fake.page_cap = 2
    b = fake.mailbox
    msgs = [b.add_message("inbox") for _ in range(6)]
    late: list[str] = []

    def meanwhile(served: int) -> None:
        if served == 2:  # after the listing's second page: one named item goes, one comes
            b.delete(msgs[0])
            late.append(b.add_message("inbox", "late@example.com"))

    fake.after_page = meanwhile
    store = Store()
    cursor = store.apply(mail(fake, tmp_path).pages(None))
    fake.after_page = None
    store.apply(mail(fake, tmp_path).pages(cursor), cursor)
    assert set(store) == present(fake) == {*msgs[1:], *late}


def test_a_deleted_folder_takes_its_messages_through_a_listing(fake: FakeGraph,
                                                                tmp_path: Path) -> None:
    b = fake.mailbox
    project = b.add_folder("Project")
    doomed = [b.add_message(project) for _ in range(2)]
    keep = b.add_message("inbox")
    store = Store()
    cursor = store.apply(mail(fake, tmp_path).pages(None))
    del b.folders[project]  # the folder and its mail vanish: no delta link can say so
    for mid in doomed:
        b.messages.pop(mid)
    pages = list(mail(fake, tmp_path).pages(cursor))
    assert listings(pages) == [(0, Listing())]
    store.apply(pages, cursor)
    assert set(store) == {keep}


@pytest.mark.parametrize("how", ["junkemail", "deleteditems", "drafts", "made_draft"])
def test_message_that_stops_counting_is_gone(fake: FakeGraph, tmp_path: Path, how: str) -> None:
    b = fake.mailbox
    keep, leaving = b.add_message("inbox"), b.add_message("archive")
    store = Store()
    cursor = store.apply(mail(fake, tmp_path).pages(None))
    if how == "made_draft":
        b.change_message(leaving, isDraft=True)
    else:
        b.move(leaving, how)
    pages = list(mail(fake, tmp_path).pages(cursor))
    assert leaving in {g for p in pages for g in p.gone}
    store.apply(pages, cursor)
    assert set(store) == {keep}


def test_received_time_comes_before_the_date_header(fake: FakeGraph, tmp_path: Path) -> None:
    b = fake.mailbox
    at = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    # a real sent message whose client clock said 1979: Graph keeps that as sentDateTime
    sent = b.add_message("sentitems", "me@contoso.example", when=at,
                         sentDateTime="1979-12-31T23:59:00Z")
    # a Date header "14/05/2001" read day-first as month: sentDateTime lands years off
    odd = b.add_message("inbox", when=datetime(2001, 5, 14, 8, 0, tzinfo=UTC),
                        sentDateTime="2014-05-20T01:00:00Z")
    bare = b.add_message("inbox", receivedDateTime=None, sentDateTime="2025-02-01T10:00:00Z")
    store = Store()
    store.apply(mail(fake, tmp_path).pages(None))
    assert store[sent].when == at
    assert store[odd].when == datetime(2001, 5, 14, 8, 0, tzinfo=UTC)
    assert store[bare].when == datetime(2025, 2, 1, 10, 0, tzinfo=UTC)  # the fallback


def test_a_graph_endpoint_written_with_v1_reads_the_mailbox(fake: FakeGraph,
                                                             tmp_path: Path) -> None:
    """Issue 12: the ``/v1.0`` root from Microsoft's docs once failed every request with
    "Resource not found for the segment 'mailFolders'"; it is read as the Graph root."""
    from connectors import microsoft
    from connectors.settings import MicrosoftAccount

    from fakes.graph_fixtures import account, env

    raw = {**account(fake).model_dump(), "graph_endpoint": fake.base + "/v1.0/"}
    built = microsoft.build(MicrosoftAccount.model_validate(raw), env(tmp_path / "state"),
                            sleep=Waits())
    fake.mailbox.add_message("inbox", "bob@example.com")
    pages = list(next(s for s in built if s.key == "work/mail").pages(None))
    assert sum(len(p.records) for p in pages) == 1
