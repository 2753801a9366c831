"""End to end: mail synced from the fake Gmail and the fake Graph (the real connectors and
engine, the real wire formats) gives summary entries whose link opens that provider's item,
and a contact known only from an archive gets none."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

import connectors
from connectors import microsoft
from connectors.base import Env, Source
from connectors.settings import AccountSettings, MboxAccount
from daemon.config import Config, MeSettings
from daemon.model.entries import Entry, Scored
from daemon.store import Store
from daemon.summary.gather import build_summary
from daemon.summary.render import render_html, render_json, render_text
from daemon.sync.engine import Engine

from fakes import graph_fixtures
from fakes.google_fixtures import account as google_account
from fakes.google_fixtures import env as google_env
from fakes.google_fixtures import gmail
from fakes.google_server import FakeGoogle
from helpers.archive import write_mbox

CLIENT, FRIEND, OLD = "ann@client.example", "rita@acme.example", "vic@old.example"


def archive(tmp_path: Path) -> MboxAccount:
    """An mbox in which Vic is the only one: nothing a browser can open."""
    path = write_mbox(tmp_path / "old.mbox", [
        (OLD, "me@example.com", "Mon, 6 Jan 2020 10:00:00 +0000", "v1@old.example")])
    return MboxAccount(kind="mbox", name="arch", path=path)


def sync(store: Store, config: Config, env: Env,
         build: Callable[[AccountSettings, Env], list[Source]]) -> None:
    results = Engine(store, config, env, build=build).sync()
    assert [(r.name, r.status, r.error) for r in results] == [
        ("work", "ok", None), ("arch", "ok", None)]


def person(key: str, now: datetime, group: str = "losing_touch") -> Entry:
    return Entry(key=key, name=key, addresses=(key,), group=group, risk=0.7, score=1.0,
                 strength=2.0, rhythm_days=14.0, silence_days=40.0,
                 last_at=now - timedelta(days=40), last_direction="outbound",
                 last_channel="email", shape="they_went_quiet", reason="Quiet for 6 weeks.")


def summary_of(store: Store, config: Config, now: datetime):  # type: ignore[no-untyped-def]
    lose, dormant = (person(FRIEND, now),), (person(OLD, now, "dormant"),)
    return build_summary(store, config, now, scored=Scored(now, lose, dormant, lose + dormant))


def check(summary, friend_link: str, owed_link: str) -> None:  # type: ignore[no-untyped-def]
    assert summary.losing_touch[0].link == friend_link
    assert summary.dormant[0].link is None  # archive only
    assert [(o.address, o.link) for o in summary.owed_people] == [(CLIENT, owed_link)]
    text, html = render_text(summary), render_html(summary)
    assert friend_link in text and owed_link in text
    assert f'<a href="{friend_link.replace("&", "&amp;")}"' in html
    data = json.loads(render_json(summary))
    assert data["losing_touch"][0]["link"] == friend_link
    assert data["owed_replies"][0]["link"] == owed_link


def test_gmail_entries_link_to_their_conversation(tmp_path: Path) -> None:
    with FakeGoogle() as fake:
        me, now = fake.mail.address, fake.now
        fake.mail.add(now - timedelta(days=61), [("From", FRIEND), ("To", me)], thread="t-r")
        newest = fake.mail.add(now - timedelta(days=40), [("From", me), ("To", FRIEND)],
                               labels=("SENT",), thread="t-r")
        owed = fake.mail.add(now - timedelta(days=5), [("From", CLIENT), ("To", me)])
        state = tmp_path / "state"
        google_env(fake, state)
        config = Config(me=MeSettings(addresses=(me,)),
                        accounts=(google_account(fake, address=me), archive(tmp_path)))

        def build(acc: AccountSettings, e: Env) -> list[Source]:
            return [gmail(fake, state)] if acc.kind == "google" else connectors.build(acc, e)

        store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
        try:
            sync(store, config, google_env(fake, state), build)
            base = f"https://mail.google.com/mail/u/{me}/#all/"
            check(summary_of(store, config, now), base + newest, base + owed)
        finally:
            store.dispose()


def test_outlook_entries_link_to_their_message(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    me, now = "me@contoso.example", graph_fixtures.NOW  # the fake identity's signed-in user
    with graph_fixtures.running_fake(tmp_path, monkeypatch) as fake:
        state = tmp_path / "state"
        graph_fixtures.sign_in(fake, state)
        box = fake.mailbox
        box.add_message("inbox", FRIEND, (me,), now - timedelta(days=61))
        newest = box.add_message("sentitems", me, (FRIEND,), now - timedelta(days=40))
        owed = box.add_message("inbox", CLIENT, (me,), now - timedelta(days=5))
        config = Config(me=MeSettings(addresses=(me,)),
                        accounts=(graph_fixtures.account(fake, address=me), archive(tmp_path)))

        def build(acc: AccountSettings, e: Env) -> list[Source]:
            if acc.kind == "microsoft":
                return microsoft.build(acc, e, sleep=graph_fixtures.Waits())
            return connectors.build(acc, e)

        store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
        try:
            sync(store, config, graph_fixtures.env(state), build)
            base = "https://outlook.office.com/mail/inbox/id/"
            check(summary_of(store, config, now), base + quote(newest, safe=""),
                  base + quote(owed, safe=""))
        finally:
            store.dispose()
