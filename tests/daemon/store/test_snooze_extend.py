"""A snooze mailed to yourself (issue 16) extends a snooze in force but never shortens it,
inside the sync page's own transaction, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from daemon.store import snoozes

T = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_extend_adds_lengthens_and_never_shortens(store) -> None:
    me = store.member_id  # a session knows no member: the page's writer names it
    with store.transaction() as s:
        assert snoozes.extend(s, "nora@x.org", T + timedelta(weeks=4), me) == T + timedelta(weeks=4)
    with store.transaction() as s:  # a shorter one keeps the longer end in force
        assert snoozes.extend(s, "nora@x.org", T + timedelta(weeks=1), me) == T + timedelta(weeks=4)
    with store.transaction() as s:
        assert snoozes.extend(s, "nora@x.org", T + timedelta(days=90), me) == T + timedelta(days=90)
    assert snoozes.active(store, T) == {"nora@x.org": T + timedelta(days=90)}


def test_extend_keeps_an_endless_snooze(store) -> None:
    snoozes.add(store, "omar@x.org", None)
    with store.transaction() as s:
        assert snoozes.extend(s, "omar@x.org", T + timedelta(weeks=4), store.member_id) is None
    assert snoozes.active(store, T) == {"omar@x.org": None}


def test_extend_is_undone_with_its_transaction(store) -> None:
    try:
        with store.transaction() as s:
            snoozes.extend(s, "dana@x.org", T + timedelta(weeks=4), store.member_id)
            raise RuntimeError("the page failed")
    except RuntimeError:
        pass
    assert snoozes.active(store, T) == {}
