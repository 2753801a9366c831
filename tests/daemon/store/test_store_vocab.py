"""The stored vocabularies: plain words on disk and in JSON, members in Python, nothing else
accepted."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from daemon.store.models import Account
from daemon.store.vocab import AccountStatus, Channel, Direction


def test_members_are_their_words() -> None:
    assert Direction.INBOUND == "inbound" and str(Channel.MEETING) == "meeting"
    assert json.dumps({AccountStatus.NEEDS_REAUTH: [Direction.MUTUAL]}) == \
        '{"needs_reauth": ["mutual"]}'


def test_a_vocabulary_column_stores_the_word_and_reads_a_member(store) -> None:
    with store.transaction() as s:
        s.add(Account(name="a", kind="mbox", status="needs_reauth"))
    with store.session() as s:
        raw = s.execute(text("SELECT status FROM accounts")).scalar()
        status = s.execute(select(Account.status)).scalar()
    assert raw == "needs_reauth" and type(raw) is str
    assert status is AccountStatus.NEEDS_REAUTH


def test_a_word_outside_the_vocabulary_is_refused(store) -> None:
    with pytest.raises(StatementError), store.transaction() as s:
        s.add(Account(name="a", kind="mbox", status="sleepy"))
