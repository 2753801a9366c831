"""The one reader of account and stream health (status, doctor and the summary use it)."""

from __future__ import annotations

from datetime import UTC, datetime

from daemon.store.health import AccountState, StreamState, sync_state
from daemon.store.models import Account, Stream

AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def test_accounts_by_name_with_their_streams_by_key(store) -> None:
    with store.transaction() as s:
        work = Account(name="work", kind="google", status="needs_reauth",
                       last_error="token expired", last_error_fix="keepwarm auth work",
                       last_success_at=AT, last_attempt_at=AT)
        arch = Account(name="arch", kind="mbox", status="ok")
        s.add_all([work, arch])
        s.flush()
        s.add_all([
            Stream(account_id=work.id, key="work/mail", cursor="42", records_seen=7,
                   touchpoints_written=5, skipped='{"bad_date": 2, "no_sender": 1}',
                   last_success_at=AT),
            Stream(account_id=work.id, key="work/calendar", cursor=None, records_seen=0,
                   touchpoints_written=0, skipped="{}", last_error="AuthExpired: token expired"),
        ])
    with store.session() as s:
        arch_state, work_state = sync_state(s)
    assert arch_state == AccountState("arch", "mbox", "ok", None, None, None, None, ())
    assert work_state.status == "needs_reauth" and work_state.fix == "keepwarm auth work"
    assert work_state.last_error == "token expired" and work_state.last_success_at == AT
    assert work_state.streams == (
        StreamState("work/calendar", False, 0, 0, {}, None, "AuthExpired: token expired"),
        StreamState("work/mail", True, 7, 5, {"bad_date": 2, "no_sender": 1}, AT, None))


def test_an_empty_store_has_no_health_to_report(store) -> None:
    with store.session() as s:
        assert sync_state(s) == []
