"""Spam's broken headers through the whole engine: the page commits, the names are repaired."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from connectors.base import Env, MessageRecord
from connectors.settings import MboxAccount
from daemon.config import Config, MeSettings
from daemon.store.models import Contact, Item, Touchpoint
from daemon.sync.engine import Engine

from fakes.memory import MemorySource

ME = "me@example.com"


def msg(i: int, frm: str) -> MessageRecord:
    return MessageRecord(source_id=f"s{i}", message_id=f"<m{i}@x>",
                         when=datetime(2024, 1, 1 + i, 12, tzinfo=UTC), from_=(frm,), to=(ME,))


def test_spam_from_with_broken_encoded_words_keeps_the_page(store):
    """A From whose encoded word is in an unknown charset or holds bytes invalid in its own
    (``=?utf-8?b?////?=``, common in spam) made a display name of lone surrogates: the
    contacts insert raised UnicodeEncodeError, the page's good mail was lost, and every later
    sync failed the same way. The name is repaired and the whole page stored."""
    records = [msg(1, "Alice <alice@a.com>"), msg(2, "=?utf-8?b?////?= <spam1@s.com>"),
               msg(3, "=?bogus-charset?q?x=FF?= <spam2@s.com>")]
    config = Config(me=MeSettings(addresses=(ME,)), accounts=(
        MboxAccount(name="a", kind="mbox", path=Path("/nonexistent")),))
    engine = Engine(store, config, Env(state_dir=Path("/tmp")),
                    build=lambda acc, env: [MemorySource("a/mail", records, page_size=3)])
    [result] = engine.sync()
    assert result.status == "ok" and not result.error
    with store.session() as s:
        counts = [s.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in (Item, Touchpoint)]
        names = {a: n for a, n in s.execute(select(Contact.address, Contact.display_name))}
    assert counts == [3, 3]
    assert names == {"alice@a.com": "Alice", "spam1@s.com": "\ufffd\ufffd\ufffd",
                     "spam2@s.com": "x\ufffd"}
