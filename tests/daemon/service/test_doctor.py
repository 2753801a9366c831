"""``keepwarm doctor``: each line OK, WARN or FIX with the fix; the privacy proof included."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

import daemon.cli
from daemon.service import doctor
from daemon.store import Store
from daemon.store.models import Account, Stream
from daemon.summary import ledger

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
    ledger.record(store, "2026-W48", "file", None, NOW)
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

