"""Each delivery attempt leaves its outcome in the ledger: a permanent SMTP refusal (550)
stops the attempts for the week and says what the server said, a transient one (450) is
retried every ``RETRY_AFTER``, a store that stays locked after the send never causes a second
send, and a private CA is trusted through ``[delivery] ca_file``. Real aiosmtpd servers."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from connectors.base import Env
from daemon import config as config_mod
from daemon.errors import DeliveryError
from daemon.store.vocab import DeliveryStatus
from daemon.summary import claims, delivery, ledger

from fakes.graph_tls import make_tls
from fakes.smtp_server import Inbox, smtp_server

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, after the 08:00 Berlin slot
QUICK = functools.partial(delivery.deliver, sleep=lambda s: None)


def make_config(tmp_path: Path, port: int, **keys: str) -> config_mod.Config:
    keys = {"method": '"smtp"', "host": '"127.0.0.1"', "port": str(port), "security": '"none"',
            "to": '"me@example.org"', **keys}
    text = ('[report]\ntimezone = "Europe/Berlin"\n[me]\naddresses = ["me@example.org"]\n'
            "[delivery]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()))
    return config_mod.parse(text, tmp_path / "config.toml")


def test_a_550_stops_the_attempts_for_the_week(tmp_path: Path, store: Any) -> None:
    inbox = Inbox(["550 5.1.1 Mailbox unavailable"])
    with smtp_server(inbox) as port:
        config, env = make_config(tmp_path, port), Env(state_dir=tmp_path)
        with pytest.raises(DeliveryError) as info:
            ledger.send_owed(store, config, env, NOW, deliver=QUICK)
        assert "550 5.1.1 Mailbox unavailable" in str(info.value)
        assert "keepwarm send-summary" in info.value.hint and not info.value.transient
        row = claims.row(store, "2026-W48")
        assert row is not None and row.status == DeliveryStatus.FAILED
        assert row.next_attempt_at is None and "550 5.1.1" in (row.last_error or "")
        for later in (NOW + timedelta(minutes=11), NOW + timedelta(days=2)):
            assert ledger.owed(store, config.report, later) is None
            assert ledger.send_owed(store, config, env, later, deliver=QUICK) is None
        assert inbox.tries == 1  # no second attempt by itself
        fixed = NOW + timedelta(days=2)  # the user fixed it and sends on purpose
        assert ledger.send_owed(store, config, env, fixed, deliver=QUICK, manual=True) \
            == "2026-W48"
    assert len(inbox.envelopes) == 1 and ledger.is_sent(store, "2026-W48")


def test_a_450_is_retried_every_ten_minutes(tmp_path: Path, store: Any) -> None:
    inbox = Inbox(["450 4.2.0 Mailbox busy"] * 4)  # every attempt of the first round
    with smtp_server(inbox) as port:
        config, env = make_config(tmp_path, port), Env(state_dir=tmp_path)
        with pytest.raises(DeliveryError, match="450 4.2.0 Mailbox busy") as info:
            ledger.send_owed(store, config, env, NOW, deliver=QUICK)
        assert info.value.transient and "retries every 10 minutes" in info.value.hint
        row = claims.row(store, "2026-W48")
        assert row is not None and row.status == DeliveryStatus.RETRYING
        assert row.next_attempt_at == NOW + ledger.RETRY_AFTER
        assert ledger.send_owed(store, config, env, NOW + timedelta(minutes=5),
                                deliver=QUICK) is None
        assert ledger.send_owed(store, config, env, NOW + timedelta(minutes=10),
                                deliver=QUICK) == "2026-W48"
    assert len(inbox.envelopes) == 1 and inbox.tries == 5


def test_a_locked_store_after_the_send_never_sends_twice(
        tmp_path: Path, store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_mod.parse(f'[delivery]\nmethod = "file"\nfolder = "{tmp_path}"\n'
                              'to = "me@example.org"\n', tmp_path / "c.toml")
    env, sent = Env(state_dir=tmp_path), []
    real = store.transaction

    def locked(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    def deliver(message: Any, *args: Any, **kwargs: Any) -> str:
        sent.append(message)
        monkeypatch.setattr(store, "transaction", locked)  # locked right after the send
        return "<id>"

    sleeps: list[float] = []
    monkeypatch.setattr(claims.time, "sleep", sleeps.append)
    assert ledger.send_owed(store, config, env, NOW, deliver=deliver) == "2026-W48"
    assert len(sleeps) == claims.OUTCOME_TRIES - 1  # the outcome write was retried
    monkeypatch.setattr(store, "transaction", real)
    for later in (NOW + timedelta(minutes=20), NOW + timedelta(days=1)):
        assert ledger.send_owed(store, config, env, later, deliver=deliver) is None
    assert len(sent) == 1
    assert claims.unknown(claims.row(store, "2026-W48"), NOW + timedelta(minutes=20))


def test_the_outcome_write_outlasts_a_short_lock(tmp_path: Path, store: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert claims.claim(store, "2026-W48", "smtp", "<id>", NOW)
    real, calls = store.transaction, []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("UPDATE", {}, Exception("database is locked"))
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "transaction", flaky)
    sleeps: list[float] = []
    assert claims.settle(store, "2026-W48", DeliveryStatus.SENT, NOW, sleep=sleeps.append)
    assert sleeps == [1.0, 2.0] and ledger.is_sent(store, "2026-W48")


def test_only_one_of_two_processes_claims_the_week(store: Any) -> None:
    assert claims.claim(store, "2026-W48", "smtp", "<id>", NOW)
    assert not claims.claim(store, "2026-W48", "smtp", "<id>", NOW)
    assert claims.settle(store, "2026-W48", DeliveryStatus.RETRYING, NOW, error="x",
                         next_at=NOW)
    assert claims.claim(store, "2026-W48", "smtp", "<id>", NOW)  # the retry: one winner
    assert not claims.claim(store, "2026-W48", "smtp", "<id>", NOW)


def test_a_private_ca_from_delivery_ca_file(tmp_path: Path) -> None:
    ca, server_tls = make_tls(tmp_path)
    inbox = Inbox()
    with smtp_server(inbox, tls=server_tls) as port:
        config = make_config(tmp_path, port, security='"starttls"')
        with pytest.raises(DeliveryError, match="SSLCertVerificationError"):
            QUICK(ledger_message(), config, Env(state_dir=tmp_path))
        config = make_config(tmp_path, port, security='"starttls"', ca_file=f'"{ca}"')
        QUICK(ledger_message(), config, Env(state_dir=tmp_path))
    assert len(inbox.envelopes) == 1


def ledger_message() -> Any:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = "hello"
    msg.set_content("text")
    return msg


def test_a_week_that_was_not_delivered_is_named_atop_the_next(tmp_path: Path,
                                                              store: Any) -> None:
    from daemon.summary.gather import build_summary
    from daemon.summary.render import render_html, render_json, render_text

    config = make_config(tmp_path, 25)
    assert claims.claim(store, "2026-W47", "smtp", None, NOW - timedelta(days=7))
    assert claims.settle(store, "2026-W47", DeliveryStatus.FAILED, NOW, error="550 no")
    summary = build_summary(store, config, NOW)
    notice = "Not delivered: the summary of 2026-W47 could not be delivered"
    assert notice in render_text(summary).splitlines()[2]
    assert notice in render_html(summary)
    assert '"undelivered_weeks": [\n    "2026-W47"\n  ]' in render_json(summary)
    assert claims.claim(store, "2026-W48", "smtp", None, NOW)  # that summary got through
    assert claims.settle(store, "2026-W48", DeliveryStatus.SENT, NOW)
    later = build_summary(store, config, NOW + timedelta(days=7))
    assert later.undelivered == () and "Not delivered" not in render_text(later)


def test_a_missing_password_is_permanent(tmp_path: Path, store: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from daemon.summary import attempts

    monkeypatch.delenv("KW_NO_SUCH", raising=False)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config = make_config(tmp_path, port, user='"me"', password_env='"KW_NO_SUCH"')
        with pytest.raises(DeliveryError, match="KW_NO_SUCH is not set"):
            ledger.send_owed(store, config, Env(state_dir=tmp_path), NOW, deliver=QUICK)
    row = claims.row(store, "2026-W48")
    assert row is not None and row.status == DeliveryStatus.FAILED and inbox.tries == 0
    level, text = attempts.describe(row, NOW)
    assert level == "FIX" and text.endswith(
        "no more attempts this week: fix it, then run keepwarm send-summary")
    assert ledger.owed(store, config.report, NOW + timedelta(hours=1)) is None
