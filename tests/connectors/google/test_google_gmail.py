"""Gmail stream against the fake Gmail on loopback, through the real client libraries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from connectors.base import MessageRecord
from connectors.errors import AuthExpired, CursorExpired, SourceUnavailable

from contract.suite import skipped
from fakes.google_fixtures import Waits, gmail
from fakes.google_server import FakeGoogle


@pytest.fixture
def fake() -> Iterator[FakeGoogle]:
    with FakeGoogle() as g:
        yield g


def fill(fake: FakeGoogle, n: int) -> list[str]:
    """n messages, one per hour back from now (newest first in the returned list)."""
    return [fake.mail.add(fake.now - timedelta(hours=i)) for i in range(n)]


def ids(pages: list) -> list[str]:
    return [r.source_id for p in pages for r in p.records]


def gets(fake: FakeGoogle) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(t).query) for m, t in fake.log if "/messages/" in t]


def test_first_sync_reads_all_in_window_newest_first(fake: FakeGoogle, tmp_path: Path) -> None:
    wanted = fill(fake, 1100)
    old = fake.mail.add(fake.now - timedelta(days=4 * 365))
    draft = fake.mail.add(fake.now - timedelta(minutes=1), labels=("DRAFT",))
    chat = fake.mail.add(fake.now - timedelta(minutes=2), labels=("CHAT",))
    fake.mail.add(fake.now - timedelta(minutes=3), labels=("SPAM",))  # not even listed
    pages = list(gmail(fake, tmp_path).pages(None))
    got = ids(pages)
    assert got == wanted  # newest first, each once, nothing older than the window
    assert old not in got and draft not in got and chat not in got
    assert skipped(pages) == {"draft": 1, "chat": 1}
    assert {p.address for p in pages} == {"me@example.com"}
    # Resume point = getProfile's history id taken before reading; the history phase ran.
    assert json.loads(pages[-1].cursor) == {"h": fake.mail.history_id}
    assert fake.log[0][1].startswith("/gmail/v1/users/me/profile")
    # Only metadata, only the needed headers, never q, batches of <= 50 at our endpoint.
    for q in gets(fake):
        assert q["format"] == ["metadata"]
        assert "Subject" not in q["metadataHeaders"] and "List-Id" in q["metadataHeaders"]
    assert not any("q=" in t for _, t in fake.log)
    assert max(fake.batches) == 50 and sum(fake.batches) == len(gets(fake))
    rec = pages[0].records[0]
    assert isinstance(rec, MessageRecord)
    assert rec.when == fake.now and rec.when.tzinfo is not None
    assert rec.labels == ("INBOX",) and rec.thread_id == wanted[0]


def test_window_stops_paging(fake: FakeGoogle, tmp_path: Path) -> None:
    fill(fake, 30)
    for i in range(2000):  # a long tail older than the look-back window
        fake.mail.add(fake.now - timedelta(days=400 + i))
    pages = list(gmail(fake, tmp_path, lookback_days=365).pages(None))
    assert len(ids(pages)) == 30 + 365 - 400 + 400 - 365  # 30 recent, tail all too old
    assert sum(1 for _, t in fake.log if "/messages?" in t) == 1  # first list page sufficed


def test_resume_after_kill_mid_first_sync(fake: FakeGoogle, tmp_path: Path) -> None:
    wanted = fill(fake, 1234)
    src = gmail(fake, tmp_path)
    seen: list[str] = []
    cursor = None
    for k, page in enumerate(src.pages(None)):
        seen += [r.source_id for r in page.records]
        cursor = page.cursor
        if k == 12:  # killed after committing page 12 (mid second list page)
            break
    rest = ids(list(gmail(fake, tmp_path).pages(cursor)))
    assert not set(seen) & set(rest)
    assert seen + rest == wanted


def test_incremental_adds_deletes_spam_trash(fake: FakeGoogle, tmp_path: Path) -> None:
    old = fill(fake, 10)
    cursor = list(gmail(fake, tmp_path).pages(None))[-1].cursor
    new = [fake.mail.add(fake.now + timedelta(minutes=i)) for i in range(3)]
    fake.mail.delete(old[0])
    fake.mail.label(old[1], "TRASH")
    fake.mail.label(old[2], "SPAM")
    fake.mail.unlabel(old[2], "SPAM")  # not spam after all: back
    brief = fake.mail.add(fake.now)
    fake.mail.delete(brief)  # added and deleted before we look
    gone_later = fake.mail.add(fake.now)
    fake.fail(f"messages/{gone_later}", 404, reason="notFound")  # deleted between list and get
    pages = list(gmail(fake, tmp_path).pages(cursor))
    assert sorted(ids(pages)) == sorted([*new, old[2]])
    gone = {g for p in pages for g in p.gone}
    assert gone == {old[0], old[1], brief, gone_later}
    assert json.loads(pages[-1].cursor)["h"] == fake.mail.history_id
    assert skipped(pages) == {"deleted": 1}


def test_history_expired_means_cursor_expired(fake: FakeGoogle, tmp_path: Path) -> None:
    fill(fake, 5)
    cursor = list(gmail(fake, tmp_path).pages(None))[-1].cursor
    fake.mail.add(fake.now)
    fake.mail.expire_history()
    with pytest.raises(CursorExpired):
        list(gmail(fake, tmp_path).pages(cursor))
    assert len(ids(list(gmail(fake, tmp_path).pages(None)))) == 6  # a fresh full sync works


def test_revoked_refresh_token_is_auth_expired_without_retry(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    fake.revoked = True
    waits = Waits()
    with pytest.raises(AuthExpired) as exc:
        list(gmail(fake, tmp_path, waits).pages(None))
    assert exc.value.hint.startswith("keepwarm auth work") and "Testing" not in exc.value.hint
    assert fake.token_calls == 1 and waits == []


def test_seven_day_old_consent_explains_testing_status(fake: FakeGoogle, tmp_path: Path) -> None:
    from fakes.google_fixtures import env

    env(fake, tmp_path, age=timedelta(days=7, hours=1))
    fake.revoked = True
    with pytest.raises(AuthExpired) as exc:
        list(gmail(fake, tmp_path).pages(None))
    assert "Testing" in exc.value.hint and "keepwarm auth work" in exc.value.hint


def test_token_uri_override_used_and_refreshed_token_saved(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    fill(fake, 2)
    list(gmail(fake, tmp_path).pages(None))
    assert fake.token_calls == 1  # the file says https://wrong.invalid/: the override won
    path = tmp_path / "tokens" / "work.json"
    saved = json.loads(path.read_text())
    assert saved["token"] in fake.access and saved["obtained_at"]
    assert path.stat().st_mode & 0o777 == 0o600
    list(gmail(fake, tmp_path).pages(None))
    assert fake.token_calls == 1  # the saved access token was reused


def test_rate_limit_storm_honours_retry_after(fake: FakeGoogle, tmp_path: Path) -> None:
    fill(fake, 3)
    fake.fail("/profile", 429, times=2, retry_after="7")
    fake.fail("/messages?", 403, retry_after="3", reason="userRateLimitExceeded")
    fake.fail("/history", 503, retry_after="11", reason="backendError")
    waits = Waits()
    pages = list(gmail(fake, tmp_path, waits).pages(None))
    assert len(ids(pages)) == 3
    assert waits == [7, 7, 3, 11]


def test_retry_budget_spent_is_source_unavailable(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.fail("/profile", 429, times=100, retry_after="1")
    waits = Waits()
    with pytest.raises(SourceUnavailable):
        list(gmail(fake, tmp_path, waits).pages(None))
    assert waits == [1] * 7


def test_partial_batch_failure_retries_only_failed_parts(fake: FakeGoogle, tmp_path: Path) -> None:
    wanted = fill(fake, 10)
    fake.fail(f"messages/{wanted[3]}", 429, retry_after="2")
    fake.fail(f"messages/{wanted[5]}", 404, reason="notFound")
    waits = Waits()
    pages = list(gmail(fake, tmp_path, waits).pages(None))
    got = ids(pages)
    assert got == [m for m in wanted if m != wanted[5]]
    assert fake.batches == [10]  # the failed part went again alone, not in a batch
    after = [t for _, t in fake.log[fake.log.index(next(x for x in fake.log
                                                        if wanted[9] in x[1])) + 1 :]]
    assert after[0].startswith(f"/gmail/v1/users/me/messages/{wanted[3]}?")
    assert waits == [2] and skipped(pages) == {"deleted": 1}


def test_several_failed_parts_go_again_as_a_smaller_batch(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    wanted = fill(fake, 10)
    for m in wanted[:3]:
        fake.fail(f"messages/{m}", 429, retry_after="1")
    assert ids(list(gmail(fake, tmp_path).pages(None))) == wanted
    assert fake.batches == [10, 3]


def test_known_ids_are_not_fetched(fake: FakeGoogle, tmp_path: Path) -> None:
    wanted = fill(fake, 20)
    src = gmail(fake, tmp_path)
    src.known_ids = lambda batch: {m for m in batch if int(m, 16) % 2 == 0}
    pages = list(src.pages(None))
    assert ids(pages) == [m for m in wanted if int(m, 16) % 2]
    assert skipped(pages) == {"known": 10}
    assert len(gets(fake)) == 10


def test_malformed_messages_from_the_api(fake: FakeGoogle, tmp_path: Path) -> None:
    ms = str(int(fake.now.timestamp() * 1000))
    good = {"id": "a1", "threadId": "t1", "labelIds": ["INBOX", 7], "internalDate": "junk",
            "payload": {"headers": [
                {"name": "From", "value": "=?utf-8?q?Jos=C3=A9?= <jose@y.es>"},
                {"name": "To", "value": "a@x.com,\r\n\tb@y.com"},
                {"name": "To", "value": "c@z.com"},
                {"value": "nameless"}, "not a dict", {"name": "Cc", "value": None},
                {"name": "References", "value": "<p1@x> junk <p2@x>"},
                {"name": "In-Reply-To", "value": "<p2@x>"},
                {"name": "Precedence", "value": " BULK "},
                {"name": "List-Unsubscribe", "value": "<mailto:u@x>"},
                {"name": "Date", "value": "not a date"}]}}
    fake.mail.add(fake.now, id="a1", raw=good)
    fake.mail.add(fake.now, id="a2", raw={"threadId": "t2", "internalDate": ms})  # no id
    fake.mail.add(fake.now, id="a3", raw={"id": "a3", "payload": {"headers": "nope"},
                                          "internalDate": ms})
    pages = list(gmail(fake, tmp_path).pages(None))
    recs = {r.source_id: r for p in pages for r in p.records}
    assert set(recs) == {"a1", "a3"} and skipped(pages) == {"malformed": 1}
    a1 = recs["a1"]
    assert isinstance(a1, MessageRecord)
    assert a1.when is None and a1.date_header == "not a date"
    assert a1.from_ == ("=?utf-8?q?Jos=C3=A9?= <jose@y.es>",)
    assert a1.to == ("a@x.com,\tb@y.com", "c@z.com") and a1.cc == ()
    assert a1.references == ("<p1@x>", "<p2@x>") and a1.labels == ("INBOX",)
    assert a1.precedence == "bulk" and a1.list_unsubscribe


def test_resume_mid_list_page_after_newer_mail_was_trashed(
    fake: FakeGoogle, tmp_path: Path
) -> None:
    # Killed mid list page, then the user trashes two of the newest messages: the re-listed
    # page is shorter, so resuming at the old offset would skip two messages forever.
    wanted = fill(fake, 20)
    src = gmail(fake, tmp_path)
    src.list_size, src.batch_size = 10, 5
    first = next(src.pages(None))
    assert ids([first]) == wanted[:5]
    fake.mail.label(wanted[0], "TRASH")
    fake.mail.label(wanted[1], "TRASH")
    again = gmail(fake, tmp_path)
    again.list_size, again.batch_size = 10, 5
    rest = ids(list(again.pages(first.cursor)))
    assert set(wanted[5:]) <= set(rest)


def test_api_not_enabled_is_an_error_not_a_reauth(fake: FakeGoogle, tmp_path: Path) -> None:
    from connectors.errors import ConnectorError

    fake.fail("/profile", 403, reason="accessNotConfigured")
    with pytest.raises(ConnectorError) as exc:
        list(gmail(fake, tmp_path, Waits()).pages(None))
    assert not isinstance(exc.value, AuthExpired)
    assert "enable the Gmail API" in exc.value.hint


def test_missing_scope_needs_a_new_sign_in(fake: FakeGoogle, tmp_path: Path) -> None:
    fake.fail("/profile", 403, reason="insufficientPermissions")
    with pytest.raises(AuthExpired):
        list(gmail(fake, tmp_path, Waits()).pages(None))


def test_a_repeated_page_token_stops_paging(fake: FakeGoogle, tmp_path: Path) -> None:
    fill(fake, 1200)
    fake.mail.stuck_token = True
    with pytest.raises(SourceUnavailable, match="repeated a page token"):
        for _ in gmail(fake, tmp_path, Waits()).pages(None):
            pass
