"""``keepwarm doctor``: each line OK, WARN or FIX with the fix; the privacy proof included."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, text

import daemon.cli
from daemon.service import doctor
from daemon.store import Store
from daemon.store.models import Account, Stream
from daemon.store.vocab import DeliveryStatus
from daemon.summary import claims

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def setup(tmp_path: Path) -> tuple[Path, Path]:
    """A config with google, microsoft and mbox accounts, their token files and a store."""
    state = Path(os.environ["XDG_STATE_HOME"]) / "keepwarm"
    (tmp_path / "secrets.json").write_text("{}")
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[store]\nurl = "sqlite:///{state / "keepwarm.db"}"\n'
        '[report]\ntimezone = "Europe/Berlin"\n'
        f'[delivery]\nmethod = "file"\nfolder = "{tmp_path / "out"}"\n'
        '[[accounts]]\nname = "g"\nkind = "google"\nclient_secrets = "secrets.json"\n'
        '[[accounts]]\nname = "m"\nkind = "microsoft"\nclient_id = "abc"\n'
        '[[accounts]]\nname = "arch"\nkind = "mbox"\npath = "/nonexistent"\n')
    cfg.chmod(0o600)
    tokens = state / "tokens"
    tokens.mkdir(parents=True)
    google = tokens / "g.json"
    google.write_text(json.dumps({"token": "secret-token-value", "scopes": [
        "https://www.googleapis.com/auth/gmail.metadata",
        "https://www.googleapis.com/auth/gmail.readonly"]}))
    google.chmod(0o644)
    msal = tokens / "m.msal.json"
    msal.write_text(json.dumps({"AccessToken": {"k": {
        "secret": "secret-token-value",
        "target": "Mail.ReadBasic Calendars.ReadBasic openid profile offline_access"}}}))
    msal.chmod(0o600)
    store = Store(f"sqlite:///{state / 'keepwarm.db'}")
    with store.transaction() as s:
        acc = Account(name="arch", kind="mbox", status="ok")
        s.add(acc)
        s.flush()
        s.add(Stream(account_id=acc.id, key="arch/mail", records_seen=12, skipped="{}",
                     last_success_at=NOW))
    store.dispose()
    return cfg, state


def lines(checks: list[doctor.Check]) -> str:
    return "\n".join(c.line() for c in checks)


def test_a_sound_set_up_with_two_problems(tmp_path: Path) -> None:
    cfg, state = setup(tmp_path)
    out = lines(doctor.run(cfg, state, now=NOW))
    assert f"OK   config valid: {cfg}" in out
    assert f"FIX  {state / 'tokens' / 'g.json'} is readable by others: chmod 600" in out
    assert "WARN account g: scopes wider than metadata-only: gmail.readonly" in out
    assert "OK   account m: scopes" in out and "mail.readbasic" in out
    assert "OK   store reachable and migrated" in out
    assert "OK   privacy: none of" in out
    assert "OK   stream arch/mail: last sync 2026-11-24 12:00 UTC, 12 records" in out
    assert "OK   next summary now (owed, catch-up at next start), written as .eml" in out
    assert "WARN service not installed" in out and "keepwarm service install" in out
    assert out.startswith("OK   package:")
    assert "secret-token-value" not in out
    store = Store(f"sqlite:///{state / 'keepwarm.db'}")
    assert claims.claim(store, "2026-W48", "file", None, NOW)
    assert claims.settle(store, "2026-W48", DeliveryStatus.SENT, NOW)
    store.dispose()
    out = lines(doctor.run(cfg, state, now=NOW))
    assert "OK   next summary Mon 2026-11-30 08:00 CET, written as .eml files to " \
        f"{tmp_path / 'out'}; last sent 2026-W48" in out


def test_the_privacy_proof_fails_on_a_subject_column(tmp_path: Path) -> None:
    cfg, state = setup(tmp_path)
    store = Store(f"sqlite:///{state / 'keepwarm.db'}")
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE items ADD COLUMN subject TEXT"))
    store.dispose()
    out = lines(doctor.run(cfg, state, now=NOW))
    assert "FIX  store has body/subject-like columns: items.subject" in out


def test_an_account_that_needs_a_sign_in(tmp_path: Path) -> None:
    cfg, state = setup(tmp_path)
    (state / "tokens" / "g.json").unlink()
    store = Store(f"sqlite:///{state / 'keepwarm.db'}")
    with store.transaction() as s:
        s.add(Account(name="m", kind="microsoft", status="needs_reauth"))
    store.dispose()
    out = lines(doctor.run(cfg, state, now=NOW))
    assert "FIX  account g: not signed in: keepwarm auth g" in out
    assert "FIX  account m needs a new sign-in: keepwarm auth m" in out


def test_a_failing_account_shows_its_error_and_fix(tmp_path: Path) -> None:
    cfg, state = setup(tmp_path)
    store = Store(f"sqlite:///{state / 'keepwarm.db'}")
    with store.transaction() as s:
        acc = s.scalars(select(Account).where(Account.name == "arch")).one()
        acc.status, acc.last_error = "error", "mbox archive /nonexistent does not exist"
        acc.last_error_fix = "fix `path` of the [[accounts]] entry name = 'arch'"
    store.dispose()
    out = lines(doctor.run(cfg, state, now=NOW))
    assert ("FIX  account arch failed its last sync: mbox archive /nonexistent does not exist "
            "(fix: fix `path` of the [[accounts]] entry name = 'arch')") in out


def test_the_command_exits_1_when_something_needs_fixing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[report]\ntimezone = "Mars/Olympus"\n')
    cfg.chmod(0o600)
    assert daemon.cli.main(["--config", str(cfg), "doctor"]) == 1
    out = capsys.readouterr().out
    assert f"FIX  config invalid: {cfg}:2: report.timezone: unknown time zone 'Mars/Olympus'" in out
    assert "to fix" in out


def test_a_store_behind_the_code_is_reported(tmp_path: Path) -> None:
    cfg, state = setup(tmp_path)
    store = Store(f"sqlite:///{state / 'keepwarm.db'}")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))  # a real older one
    store.dispose()
    out = lines(doctor.run(cfg, state, now=NOW))
    assert "FIX  store" in out



def test_a_failing_delivery_shows_its_error_and_what_to_do(tmp_path: Path) -> None:
    cfg, state = setup(tmp_path)
    store = Store(f"sqlite:///{state / 'keepwarm.db'}")
    tried = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert claims.claim(store, "2026-W47", "file", None, tried.replace(day=16))
    assert claims.settle(store, "2026-W47", DeliveryStatus.FAILED, tried, error="550 no")
    assert claims.claim(store, "2026-W48", "file", None, tried)
    assert claims.settle(store, "2026-W48", DeliveryStatus.RETRYING, tried,
                         error="SMTP server x answered 450 busy", next_at=NOW.replace(hour=13))
    out = lines(doctor.run(cfg, state, now=NOW))
    assert ("WARN summary of 2026-W48 not delivered yet (attempt 1 at 2026-11-23 08:00 UTC "
            "failed: SMTP server x answered 450 busy); next attempt after 2026-11-24 13:00 UTC"
            in out)
    assert "WARN summary of 2026-W47 was never delivered (550 no)" in out
    assert "now (owed, catch-up at next start)" not in out
    assert claims.claim(store, "2026-W48", "file", None, tried, manual=True)
    assert claims.settle(store, "2026-W48", DeliveryStatus.FAILED, NOW, error=(
        "refused: 550 (fix: no more attempts this week: fix X, then run keepwarm send-summary)"))
    out = lines(doctor.run(cfg, state, now=NOW))
    assert "FIX  summary of 2026-W48 not delivered (attempt 2 at 2026-11-23 08:00 UTC failed: " \
        "refused: 550 (fix: no more attempts this week: fix X, then run keepwarm " \
        "send-summary))" in out
    assert "next summary Mon 2026-11-30 08:00 CET" in out
    store.dispose()


def test_an_attempt_that_never_finished_is_an_unknown_outcome(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    cfg, state = setup(tmp_path)
    store = Store(f"sqlite:///{state / 'keepwarm.db'}")
    assert claims.claim(store, "2026-W48", "file", None, datetime(2026, 11, 23, 8, 0,
                                                                  tzinfo=UTC))
    store.dispose()
    out = lines(doctor.run(cfg, state, now=NOW))
    assert "FIX  summary of 2026-W48: delivery outcome unknown (attempt 1 at 2026-11-23 " \
        "08:00 UTC never recorded its result); check your mailbox, and to send it on " \
        "purpose: keepwarm send-summary" in out
    with time_machine.travel(NOW, tick=False):
        assert daemon.cli.main(["--config", str(cfg), "status"]) == 0
    assert "summary of 2026-W48: delivery outcome unknown" in capsys.readouterr().out
