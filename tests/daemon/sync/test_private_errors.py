"""A store failure never carries the mail's data into logs, status or the store: what reaches
them is the error's type and first line, with no SQL parameters, detail lines or traceback."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text
from test_engine import ME, config, engine, msg

from daemon.errors import brief
from daemon.store.models import Account, Stream

from fakes.memory import MemorySource

SECRET = "victim@secret.example"


def refuse_contacts(store) -> None:
    """A trigger that makes every contact insert fail, as a full disk or a bad row would."""
    with store.engine.begin() as conn:
        if store.engine.dialect.name == "sqlite":
            conn.execute(text("CREATE TRIGGER no_contacts BEFORE INSERT ON contacts "
                              "BEGIN SELECT RAISE(ABORT, 'refused by the store'); END"))
        else:
            conn.execute(text("CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE "
                              "EXCEPTION 'refused by the store' USING DETAIL = 'row: ' || "
                              "NEW.address; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER no_contacts BEFORE INSERT ON contacts "
                              "FOR EACH ROW EXECUTE FUNCTION refuse()"))


def test_a_failed_insert_leaks_no_address(store, caplog: pytest.LogCaptureFixture) -> None:
    refuse_contacts(store)
    src = MemorySource("a/mail", [msg(1, f'"Victim Name" <{SECRET}>', ME)])
    with caplog.at_level(logging.INFO):
        [result] = engine(store, config("a"), {"a": lambda: [src]}).sync()
    assert result.status == "error"
    assert "refused by the store" in result.error
    with store.session() as s:
        stored = [s.execute(select(Account.last_error)).scalar_one(),
                  s.execute(select(Stream.last_error)).scalar_one()]
    for text_ in [result.error, *stored, caplog.text]:
        assert SECRET not in text_ and "Victim Name" not in text_
        assert "Traceback" not in text_ and "INSERT" not in text_


def test_brief_is_one_line_of_type_and_message() -> None:
    assert brief(ValueError("bad\nsecond line")) == "ValueError: bad"
    assert brief(RuntimeError()) == "RuntimeError"
