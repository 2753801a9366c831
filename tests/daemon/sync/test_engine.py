"""The sync engine: pages and cursors commit together, re-imports are no-ops, one bad account
never stops the others, an expired cursor resyncs fully."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from connectors.base import Attendee, Env, EventRecord, MessageRecord, Page, Source
from connectors.errors import AuthExpired, CursorExpired
from connectors.settings import MaildirAccount, MboxAccount
from daemon.config import Config, MeSettings
from daemon.store.models import Account, Contact, Item, Stream, Touchpoint
from daemon.sync.engine import Engine

from fakes.memory import MemorySource

ME = "me@example.com"


def msg(i: int, frm: str, to: str, *, mid: str | None = None, **kw) -> MessageRecord:
    return MessageRecord(source_id=f"s{i}", message_id=mid or f"<m{i}@x>",
                         when=datetime(2024, 1, 1 + i % 28, 12, tzinfo=UTC),
                         from_=(frm,), to=(to,), **kw)


def config(*names: str) -> Config:
    accounts = tuple(MboxAccount(name=n, kind="mbox", path=Path("/nonexistent")) for n in names)
    return Config(me=MeSettings(addresses=(ME,)), accounts=accounts)


def engine(store, cfg, sources_by_account) -> Engine:
    return Engine(store, cfg, Env(state_dir=Path("/tmp")),
                  build=lambda acc, env: sources_by_account[acc.name]())


def counts(store) -> tuple[int, int, int]:
    with store.session() as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Item, Touchpoint, Contact))  # type: ignore[return-value]


RECORDS = [
    msg(1, "Alice <alice@a.com>", ME),
    msg(2, ME, "Alice <alice@a.com>, bob@b.com"),
    msg(3, "news@list.org", ME, list_unsubscribe=True),
    msg(4, "broken", ME),  # no valid sender: skipped, counted
    EventRecord(source_id="e1", uid="u1", start=datetime(2024, 2, 1, 9, tzinfo=UTC),
                attendees=(Attendee(ME, is_self=True), Attendee("carol@c.com", "Carol"),
                           Attendee("room@resource.calendar.google.com", is_resource=True))),
    EventRecord(source_id="e2", uid="u2", status="cancelled",
                start=datetime(2024, 2, 2, tzinfo=UTC), attendees=(Attendee("x@y.com"),)),
]


def test_sync_writes_touchpoints_and_counts_skips(store):
    eng = engine(store, config("a"), {"a": lambda: [MemorySource("a/mail", RECORDS)]})
    [result] = eng.sync()
    assert result.status == "ok"
    assert counts(store) == (4, 5, 4)  # alice in, alice+bob out, news, carol
    assert result.streams[0].skipped["no_sender"] == 1
    assert result.streams[0].skipped["cancelled"] == 1
    with store.session() as s:
        bulk = s.execute(select(Touchpoint.bulk).join(Contact).where(
            Contact.address == "news@list.org")).scalar_one()
        assert bulk
        stream = s.execute(select(Stream)).scalar_one()
        assert stream.cursor == str(len(RECORDS))


def test_reimport_from_scratch_is_a_noop(store):
    sources = {"a": lambda: [MemorySource("a/mail", RECORDS)]}
    engine(store, config("a"), sources).sync()
    before = counts(store)
    with store.transaction() as s:
        s.execute(select(Stream)).scalar_one().cursor = None
    engine(store, config("a"), sources).sync()
    assert counts(store) == before


def test_same_message_through_two_accounts_counts_once(store):
    one = [msg(1, "Alice <alice@a.com>", ME)]
    copy = [MessageRecord(source_id="other-id", message_id="<m1@x>", when=one[0].when,
                          from_=one[0].from_, to=one[0].to)]
    engine(store, config("a", "b"), {"a": lambda: [MemorySource("a/mail", one)],
                                      "b": lambda: [MemorySource("b/mail", copy)]}).sync()
    assert counts(store)[:2] == (1, 1)


def test_copy_under_another_message_id_joins_by_fingerprint(store):
    a = msg(1, ME, "alice@a.com", mid="<one@x>")
    b = msg(1, ME, "alice@a.com", mid="<two@x>")
    engine(store, config("a"), {"a": lambda: [MemorySource("a/mail", [a, b])]}).sync()
    assert counts(store)[:2] == (1, 1)


def test_gone_ids_take_their_touchpoints(store):
    sources = {"a": lambda: [MemorySource("a/mail", RECORDS[:2])]}
    engine(store, config("a"), sources).sync()
    with store.transaction() as s:
        s.execute(select(Stream)).scalar_one().cursor = None
    gone = {"a": lambda: [MemorySource("a/mail", [], gone=["s1", "s2"])]}
    engine(store, config("a"), gone).sync()
    assert counts(store)[:2] == (0, 0)


class Failing(Source):
    def __init__(self, exc: Exception) -> None:
        self.key, self.exc = "bad/mail", exc

    def pages(self, cursor):
        raise self.exc
        yield  # pragma: no cover


def test_revoked_account_is_isolated(store):
    cfg = config("bad", "good")
    eng = engine(store, cfg, {
        "bad": lambda: [Failing(AuthExpired("revoked", hint="keepwarm auth bad"))],
        "good": lambda: [MemorySource("good/mail", RECORDS[:1])]})
    bad, good = eng.sync()
    assert (bad.status, good.status) == ("needs_reauth", "ok")
    assert (bad.error, bad.fix) == ("revoked", "keepwarm auth bad")
    with store.session() as s:
        row = s.execute(select(Account).where(Account.name == "bad")).scalar_one()
        assert (row.status, row.last_error, row.last_error_fix) == \
            ("needs_reauth", "revoked", "keepwarm auth bad")


class ExpiresOnce(Source):
    key = "a/mail"

    def __init__(self) -> None:
        self.calls: list[str | None] = []

    def pages(self, cursor):
        self.calls.append(cursor)
        if cursor is not None:
            raise CursorExpired("too old")
        yield Page((RECORDS[0],), (), "c1")


def test_expired_cursor_means_full_resync(store):
    src = ExpiresOnce()
    eng = engine(store, config("a"), {"a": lambda: [src]})
    eng.sync()
    eng.sync()
    assert src.calls == [None, "c1", None]
    assert counts(store)[:2] == (1, 1)


def test_stop_between_pages_keeps_cursor_consistent(store):
    eng = engine(store, config("a"), {"a": lambda: [MemorySource("a/mail", RECORDS, 1)]})
    original = eng.progress.advance

    def stop_after_first(task, n):
        eng.stop.set()
        original(task, n)

    eng.progress.advance = stop_after_first  # type: ignore[method-assign]
    eng.sync()
    with store.session() as s:
        assert s.execute(select(Stream.cursor)).scalar() == "1"
    assert counts(store)[:2] == (1, 1)


def test_the_mailbox_address_a_source_reports_joins_me(store):
    records = [msg(1, "alias@example.com", "ann@x.com")]
    reports = MemorySource("a/mail", records, address="Alias@Example.com")  # as Gmail's pages do
    engine(store, config("a"), {"a": lambda: [reports]}).sync()
    with store.session() as s:
        assert s.execute(select(Touchpoint.direction)).scalar_one() == "outbound"


class Reporting(Source):
    """A source that skips items on its pages and uses the store's known ids, as Gmail does."""

    key = "a/mail"

    def __init__(self) -> None:
        self.asked: list[set[str]] = []

    def pages(self, cursor):
        assert self.known_ids is not None
        self.asked.append(self.known_ids(["s1", "s2"]))
        yield Page((RECORDS[0],), (), "1", {"draft": 2})
        yield Page((), (), "2", {"draft": 1, "chat": 1})


def test_skips_on_pages_add_up_and_known_ids_reach_the_source(store):
    first, second = Reporting(), Reporting()
    [result] = engine(store, config("a"), {"a": lambda: [first]}).sync()
    assert result.streams[0].skipped == {"draft": 3, "chat": 1}
    assert first.asked == [set()]
    engine(store, config("a"), {"a": lambda: [second]}).sync()
    assert second.asked == [{"s1"}]  # stored by the first sync
    with store.session() as s:
        assert json.loads(s.execute(select(Stream.skipped)).scalar_one()) == {
            "chat": 2, "draft": 6}


class BreaksAfterOnePage(Source):
    """One page with a skip, then the source breaks (a crash of its library, say)."""

    key = "a/mail"

    def pages(self, cursor):
        yield Page((RECORDS[0], msg(9, "broken", ME)), (), "1", {"draft": 2})
        raise RuntimeError("connection reset")


def test_skips_commit_with_their_page_even_when_the_stream_fails_later(store):
    [result] = engine(store, config("a"), {"a": lambda: [BreaksAfterOnePage()]}).sync()
    assert result.status == "error"
    with store.session() as s:
        cursor, skipped = s.execute(select(Stream.cursor, Stream.skipped)).one()
    assert cursor == "1"  # the first page committed, and its skips with it
    assert json.loads(skipped) == {"draft": 2, "malformed_address": 1, "no_sender": 1}


def test_a_stopped_sync_is_not_recorded_as_a_success(store):
    eng = engine(store, config("a"), {"a": lambda: [MemorySource("a/mail", RECORDS, 1)]})
    eng.progress.advance = lambda task, n: eng.stop.set()  # type: ignore[method-assign]
    [result] = eng.sync()
    assert result.stopped
    with store.session() as s:
        assert s.execute(select(Stream.last_success_at)).scalar() is None
        assert s.execute(select(Account.last_success_at)).scalar() is None
    engine(store, config("a"), {"a": lambda: [MemorySource("a/mail", RECORDS, 1)]}).sync()
    with store.session() as s:
        assert s.execute(select(Stream.last_success_at)).scalar() is not None


def test_a_good_sync_clears_the_error_and_its_fix(store):
    cfg = config("bad")
    engine(store, cfg, {"bad": lambda: [Failing(AuthExpired("revoked", hint="keepwarm auth bad"))]
                        }).sync()
    engine(store, cfg, {"bad": lambda: [MemorySource("bad/mail", RECORDS[:1])]}).sync()
    with store.session() as s:
        row = s.execute(select(Account)).scalar_one()
        assert (row.status, row.last_error, row.last_error_fix) == ("ok", None, None)


def test_a_failing_stream_records_its_error(store):
    eng = engine(store, config("bad"), {"bad": lambda: [Failing(RuntimeError("boom"))]})
    [result] = eng.sync()
    assert result.status == "error"
    with store.session() as s:
        assert s.execute(select(Stream.last_error)).scalar() == "RuntimeError: boom"


def test_a_changed_kind_starts_the_account_afresh(store):
    sources = {"a": lambda: [MemorySource("a/mail", RECORDS[:2])]}
    engine(store, config("a"), sources).sync()
    seen: list[str | None] = []

    class Recording(MemorySource):
        def pages(self, cursor):
            seen.append(cursor)
            return super().pages(cursor)

    changed = Config(me=MeSettings(addresses=(ME,)), accounts=(
        MaildirAccount(name="a", kind="maildir", path=Path("/nonexistent")),))
    engine(store, changed, {"a": lambda: [Recording("a/mail", RECORDS[:2])]}).sync()
    assert seen == [None]


# ---- issue 12: an expired Gmail history id says it heals itself, and what to do if not ----

def _gmail_engine(store, fake, state: Path) -> Engine:
    from fakes.google_fixtures import account, env, gmail

    cfg = Config(me=MeSettings(addresses=(ME,)), accounts=(account(fake),))
    return Engine(store, cfg, env(fake, state), build=lambda acc, e: [gmail(fake, state)])


def test_an_expired_gmail_history_id_is_one_line_saying_keepwarm_resyncs(store, tmp_path,
                                                                           caplog):
    from fakes.google_server import FakeGoogle

    with FakeGoogle() as fake:
        fake.mail.add(fake.now)
        eng = _gmail_engine(store, fake, tmp_path / "state")
        eng.sync()
        fake.mail.add(fake.now)
        fake.mail.expire_history()
        caplog.clear()
        (result,) = eng.sync()
    lines = [r.getMessage() for r in caplog.records if "expired" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "Gmail history id has expired" in lines[0]
    assert "lists the mailbox again from the start by itself" in lines[0]
    assert "if this repeats" in lines[0] and "sync_interval" in lines[0]
    assert result.error is None and result.streams[0].complete


def test_a_gmail_history_id_that_keeps_expiring_is_in_status_with_what_to_do(store,
                                                                             tmp_path):
    from fakes.google_server import FakeGoogle

    with FakeGoogle() as fake:
        fake.mail.add(fake.now)
        fake.mail.history_floor = 10**9  # every history id is too old, even a fresh one
        (result,) = _gmail_engine(store, fake, tmp_path / "state").sync()
    with store.session() as s:
        row = s.execute(select(Account)).scalar_one()
    assert row.status == "error" and "history id has expired" in (row.last_error or "")
    assert "by itself" in (row.last_error or "")
    assert "keepwarm service install" in (row.last_error_fix or "")
