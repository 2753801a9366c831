"""Google sign-in pieces (scopes, token file, prompt, endpoints) and the record translators."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from google.oauth2.credentials import Credentials
from hypothesis import given
from hypothesis import strategies as st

from connectors import google
from connectors.base import Env
from connectors.google.auth import (
    CALENDAR_READONLY,
    GMAIL_METADATA,
    GMAIL_SEND,
    prompt,
    scopes,
    store,
)
from connectors.google.gcal_records import to_record as event_record
from connectors.google.gmail_records import internal_date
from connectors.google.gmail_records import to_record as message_record
from connectors.google.session import endpoints
from connectors.settings import GoogleAccount

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def acct(**kw: Any) -> GoogleAccount:
    return GoogleAccount(kind="google", name="work", client_secrets=Path("c.json"), **kw)


def test_least_privilege_scopes() -> None:
    assert scopes(acct()) == [GMAIL_METADATA, CALENDAR_READONLY]
    assert scopes(acct(send=True)) == [GMAIL_METADATA, CALENDAR_READONLY, GMAIL_SEND]


def test_build_returns_enabled_sources(tmp_path: Path) -> None:
    env = Env(state_dir=tmp_path)
    assert [s.key for s in google.build(acct(), env)] == ["work/mail", "work/calendar"]
    assert [s.key for s in google.build(acct(calendar=False), env)] == ["work/mail"]
    assert google.build(acct(mail=False, calendar=False), env) == []


def test_endpoint_override_reaches_batches_too() -> None:
    assert endpoints(acct()).gmail is None
    e = endpoints(acct(api_endpoint="https://proxy.example/g"))
    assert (e.gmail, e.calendar, e.batch) == (
        "https://proxy.example/g/", "https://proxy.example/g/calendar/v3/",
        "https://proxy.example/g/batch/gmail/v1")


def test_token_file_is_private_and_stamped(tmp_path: Path) -> None:
    creds = Credentials("tok", refresh_token="r", client_id="c", client_secret="s",
                        token_uri="https://oauth2.googleapis.com/token",
                        scopes=[GMAIL_METADATA, CALENDAR_READONLY])
    store(acct(), Env(state_dir=tmp_path, now=lambda: NOW), creds)
    path = tmp_path / "tokens" / "work.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    info = json.loads(path.read_text())
    assert info["refresh_token"] == "r" and info["obtained_at"] == NOW.isoformat()
    assert [p.name for p in path.parent.iterdir()] == ["work.json"]  # no temp file left


def test_prompt_explains_headless_setup() -> None:
    text = prompt(8765)
    assert "{url}" in text and "ssh -L 8765:localhost:8765" in text


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=20,
)
_header = st.fixed_dictionaries({"name": st.sampled_from(
    ["From", "To", "Cc", "References", "In-Reply-To", "Precedence", "List-Id", "Date"]) | _json,
    "value": st.text(max_size=60) | _json})


@given(st.fixed_dictionaries({
    "id": st.text(max_size=8) | _json, "threadId": _json, "labelIds": _json,
    "internalDate": st.integers().map(str) | _json,
    "payload": st.fixed_dictionaries({"headers": st.lists(_header, max_size=6)}) | _json}))
def test_message_translation_never_raises(message: dict[str, Any]) -> None:
    record = message_record(message)
    if record is not None:
        assert all("\n" not in v and "\r" not in v for v in record.to + record.from_)
        assert record.when is None or record.when.tzinfo is not None


@given(st.integers(min_value=0, max_value=253402300799999))
def test_internal_date_is_exact_aware_utc(ms: int) -> None:
    when = internal_date(str(ms))
    assert when is not None and when.tzinfo is not None
    assert (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1) == ms


@given(st.fixed_dictionaries({
    "id": st.text(min_size=1, max_size=8), "start": _json, "end": _json,
    "originalStartTime": _json, "organizer": _json,
    "attendees": st.lists(_json, max_size=4) | _json, "status": _json, "iCalUID": _json}))
def test_event_translation_never_raises(event: dict[str, Any]) -> None:
    record = event_record(event)
    assert record is not None and all("@" in a.address for a in record.attendees)
