"""The tokens and tagged addresses of commands mailed to yourself (issue 16): the parser reads
back every address the summary writes (also after Gmail's dot-dropping normalisation), reads
nothing else as a command, never raises; the secret is private and stable."""

from __future__ import annotations

import stat
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from connectors.base import MessageRecord
from daemon.sync import commands
from daemon.sync.addresses import normalise
from daemon.sync.commands import COMMANDS, TOKEN_LENGTH, Tag, address, find, index, parse, token
from daemon.sync.meaning import Interpreter

KEY = b"k" * 32
LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=20).filter(
    lambda s: not s.startswith(".") and "+" not in s)
DOMAIN = st.sampled_from(["example.com", "gmail.com", "googlemail.com", "mail.example.org"])
TOKEN = st.text("abcdefghijklmnopqrstuvwxyz234567", min_size=TOKEN_LENGTH, max_size=TOKEN_LENGTH)


@given(LOCAL, DOMAIN, st.sampled_from(sorted(COMMANDS)), TOKEN)
def test_every_written_address_parses_back(local: str, domain: str, command: str,
                                           tok: str) -> None:
    me = f"{local}@{domain}"
    written = address(me, command, tok)
    mine = {normalise(me)}
    assert parse(written, mine) == Tag(command, tok)
    assert parse(normalise(written), mine) == Tag(command, tok)  # Gmail drops the dots
    assert parse(written.upper(), mine) == Tag(command, tok)
    assert parse(written, {"someone@else.example"}) is None  # not the user's own address


@given(st.text(max_size=80), st.sets(st.text(max_size=30), max_size=3))
def test_the_parser_never_raises(text: str, me: set[str]) -> None:
    found = parse(text, me)
    assert found is None or (found.command in COMMANDS and len(found.token) == TOKEN_LENGTH)


def test_other_plus_tags_and_short_tokens_are_not_commands() -> None:
    me = {"me@example.com"}
    for text in ("me+news@example.com", "me+kw.snooze.4w.short@example.com",
                 "me+kw.delete.all.abcdefghijklmnop@example.com", "me@example.com",
                 "me+kw.snooze.4w.abcdefghijklmno1@example.com"):  # '1' is not base32
        assert parse(text, me) is None


def test_a_token_names_one_command_contact_and_week() -> None:
    tok = token(KEY, "snooze4w", "nora@example.org", "2026-W48")
    assert len(tok) == TOKEN_LENGTH and tok == tok.lower()
    others = {token(KEY, "snooze3m", "nora@example.org", "2026-W48"),
              token(KEY, "snooze4w", "bob@example.org", "2026-W48"),
              token(KEY, "snooze4w", "nora@example.org", "2026-W47"),
              token(b"x" * 32, "snooze4w", "nora@example.org", "2026-W48")}
    assert tok not in others


def test_find_tells_valid_expired_and_forged() -> None:
    sent = date(2026, 12, 2)  # 2026-W49
    people = index(KEY, ["bob@example.org", "nora@example.org"])
    fresh = Tag("ignoreperson", token(KEY, "ignoreperson", "nora@example.org", "2026-W48"))
    old = Tag("ignoreperson", token(KEY, "ignoreperson", "nora@example.org", "2026-W40"))
    assert find(KEY, fresh, people, sent) == ("nora@example.org", 1)
    assert find(KEY, old, people, sent) == ("nora@example.org", 9)
    assert find(KEY, Tag("ignoreperson", "a" * TOKEN_LENGTH), people, sent) is None
    assert find(KEY, fresh, index(KEY, ["bob@example.org"]), sent) is None  # another's
    bob = index(KEY, ["bob@example.org"])  # Nora's MAC behind Bob's reference: forged
    forged = Tag("ignoreperson", next(iter(bob)) + fresh.token[4:])
    assert find(KEY, forged, {**people, **bob}, sent) is None


def test_the_secret_is_private_and_stable(tmp_path: Path) -> None:
    first = commands.secret(tmp_path / "state")
    path = tmp_path / "state" / commands.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) == 32
    assert commands.secret(tmp_path / "state") == first
    assert [p.name for p in path.parent.iterdir()] == [commands.SECRET_FILE]


def _mail(frm: str, to: str, labels: tuple[str, ...] = ()) -> MessageRecord:
    return MessageRecord("s1", message_id="<c@x>", from_=(frm,), to=(to,), labels=labels,
                         when=datetime(2026, 12, 2, tzinfo=UTC))


def test_meaning_keeps_commands_apart_from_touchpoints() -> None:
    interp = Interpreter({"me@example.com"}, "work", datetime(2026, 12, 3, tzinfo=UTC))
    tagged = address("me@example.com", "snooze4w", "a" * TOKEN_LENGTH)
    assert interp.interpret(_mail("me@example.com", tagged)) is None
    assert [m.tag for m in interp.commands] == [Tag("snooze4w", "a" * TOKEN_LENGTH)]
    assert interp.interpret(_mail("eve@evil.example", tagged)) is None  # someone else's
    assert len(interp.commands) == 1 and interp.skipped == Counter(foreign_command=1)
    both = _mail("me@example.com", f"{tagged}, Nora <nora@example.org>")
    meaning = interp.interpret(both)  # the command, and a real message to Nora
    assert meaning is not None and [c.address for c in meaning.counterparts] == [
        "nora@example.org"]
    assert interp.commands[-1].at == datetime(2026, 12, 2, tzinfo=UTC)


def test_doctor_checks_the_secret_is_private(tmp_path: Path) -> None:
    from daemon.service.doctor import mode_checks

    commands.secret(tmp_path)
    (tmp_path / commands.SECRET_FILE).chmod(0o644)
    (found,) = mode_checks([], tmp_path)
    assert found.level == "FIX" and f"chmod 600 {tmp_path / commands.SECRET_FILE}" in found.text
