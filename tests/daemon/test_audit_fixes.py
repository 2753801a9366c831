"""Regression tests for bugs found in the daemon audit: each one failed before its fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.base import Env, MessageRecord
from connectors.settings import MboxAccount
from daemon.cli import main
from daemon.config import Config, MeSettings
from daemon.model.frame import load, seconds
from daemon.sync.engine import Engine

from fakes.memory import MemorySource

ME = "me@example.com"


def _mbox(path: Path, messages: list[tuple[str, str, str, str]]) -> Path:
    """A header-only mbox of (from, to, date, message-id) messages."""
    parts = [f"From x@x Mon Jan  1 00:00:00 2024\nFrom: {frm}\nTo: {to}\nDate: {date}\n"
             f"Message-ID: <{mid}>\n\nbody\n\n" for frm, to, date, mid in messages]
    path.write_text("".join(parts))
    return path


def _config(tmp_path: Path, mbox: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[me]\naddresses = ["{ME}"]\n\n[[accounts]]\nname = "arch"\nkind = "mbox"\n'
                    f'path = "{mbox}"\n{extra}')
    return path


def test_date_header_beyond_datetime_range_is_skipped_not_fatal(tmp_path, capsys):
    """A Date: whose UTC time overflows year 9999 made parse_date raise OverflowError, which
    failed the whole account on every run (the cursor never moved past the message)."""
    mbox = _mbox(tmp_path / "m.mbox", [
        ("Ann <ann@x.com>", ME, "Fri, 31 Dec 9999 23:00:00 -1200", "bad@x"),
        ("Ann <ann@x.com>", ME, "Mon, 1 Jan 2024 10:00:00 +0000", "good@x"),
    ])
    cfg = _config(tmp_path, mbox)
    assert main(["--config", str(cfg), "sync"]) == 0
    out = capsys.readouterr().out
    assert "arch: ok" in out and "1 skipped" in out
    assert main(["--config", str(cfg), "contacts"]) == 0
    assert "ann@x.com" in capsys.readouterr().out


def test_ignored_gmail_address_is_matched_as_normalised(tmp_path, capsys):
    """Contacts are stored normalised (Gmail ignores dots; googlemail.com is gmail.com), so an
    [ignore] address written the way people write it must be normalised the same way."""
    messages = []
    for i in range(8):
        day = f"{1 + i * 3:d} Jan 2024 10:00:00 +0000"
        messages.append(("John Doe <John.Doe@googlemail.com>", ME, f"Mon, {day}", f"in{i}@x"))
        messages.append((ME, "John Doe <john.doe@gmail.com>", f"Tue, {day}", f"out{i}@x"))
    mbox = _mbox(tmp_path / "m.mbox", messages)
    cfg = _config(tmp_path, mbox, '\n[ignore]\naddresses = ["John.Doe@gmail.com"]\n')
    assert main(["--config", str(cfg), "sync"]) == 0
    capsys.readouterr()
    assert main(["--config", str(cfg), "report", "--as-of", "2024-06-01", "--format", "json",
                 "--all"]) == 0
    data = json.loads(capsys.readouterr().out)
    people = [e for e in data["everyone"] if e["key"] == "johndoe@gmail.com"]
    assert people and people[0]["excluded_because"] == "ignored"
    assert main(["--config", str(cfg), "ignore", "check"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "john" in line.lower())
    assert "│        1 │" in row  # one contact hidden


def test_config_check_masks_the_store_password(tmp_path, capsys):
    """``config check`` prints the resolved configuration "secrets masked": a password in the
    [store] URL is a secret."""
    mbox = _mbox(tmp_path / "m.mbox", [])
    cfg = _config(tmp_path, mbox, '\n[store]\nurl = "postgresql+psycopg://kw:hunter2@db.example/kw"\n')
    assert main(["--config", str(cfg), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out and "db.example" in out


def test_fractional_seconds_floor_on_every_dialect(store):
    """Times are whole UTC seconds in the frame: PostgreSQL's EXTRACT(EPOCH) cast to BIGINT
    rounded where SQLite truncates, so 23:59:59.6 became the next day on PostgreSQL."""
    at = datetime(2024, 3, 1, 23, 59, 59, 600000, tzinfo=UTC)  # Gmail's internalDate has ms
    rec = MessageRecord(source_id="s1", message_id="<f@x>", when=at,
                        from_=("Ann <ann@x.com>",), to=(ME,))
    account = MboxAccount(name="a", kind="mbox", path=Path("/nonexistent"))
    cfg = Config(me=MeSettings(addresses=(ME,)), accounts=(account,))
    Engine(store, cfg, Env(state_dir=Path("/tmp")),
           build=lambda acc, env: [MemorySource("a/mail", [rec])]).sync()
    frame = load(store)
    assert frame.t.tolist() == [seconds(at.replace(microsecond=0))]


def test_store_error_never_shows_the_password(tmp_path, capsys):
    """A store that cannot be opened (here: a driver that is not installed) names the URL in
    its error, which reaches the terminal and the journal: without the password."""
    mbox = _mbox(tmp_path / "m.mbox", [])
    cfg = _config(tmp_path, mbox, '\n[store]\nurl = "postgresql+nosuchdriver://kw:hunter2@db.example/kw"\n')
    assert main(["--config", str(cfg), "status"]) != 0
    err = capsys.readouterr().err
    assert "cannot open store" in err and "hunter2" not in err


def test_reason_dates_are_in_the_report_time_zone(tmp_path, capsys):
    """The sentence's "Last: ... on 3 Oct" is a date the user lives in: mail sent at 20:00 in
    Los Angeles on 3 Oct is 4 Oct in UTC, and the summary must still say 3 Oct."""
    messages = []
    for week in range(10):
        day = 1 + week * 7  # Aug 1, 8, ... then into Oct
        stamp = datetime(2024, 7, 25, 18, tzinfo=UTC).timestamp() + day * 86400
        when = datetime.fromtimestamp(stamp, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        messages.append(("Ann <ann@x.com>", ME, when, f"in{week}@x"))
    messages.append((ME, "Ann <ann@x.com>", "Thu, 3 Oct 2024 20:00:00 -0700", "last@x"))
    mbox = _mbox(tmp_path / "m.mbox", messages)
    cfg = _config(tmp_path, mbox, '\n[report]\ntimezone = "America/Los_Angeles"\n')
    assert main(["--config", str(cfg), "sync"]) == 0
    capsys.readouterr()
    assert main(["--config", str(cfg), "report", "--as-of", "2024-10-10", "--format", "json",
                 "--all"]) == 0
    data = json.loads(capsys.readouterr().out)
    [ann] = [e for e in data["everyone"] if e["key"] == "ann@x.com"]
    assert ann["excluded_because"] is None
    assert "you emailed them on 3 Oct" in ann["reason"], ann["reason"]


def test_activity_strip_labels_match_its_months(tmp_path, capsys):
    """The 12-month strip counts UTC calendar months; its labels named the local months, so in
    Auckland on the morning of 1 Dec (still 30 Nov in UTC) every bar sat under the wrong month."""
    messages = []
    for week in range(20):
        when = datetime.fromtimestamp(
            datetime(2024, 4, 1, 1, tzinfo=UTC).timestamp() + week * 7 * 86400, UTC)
        messages.append(("Ann <ann@x.com>", ME, when.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                         f"in{week}@x"))
        messages.append((ME, "Ann <ann@x.com>", when.strftime("%a, %d %b %Y 03:%M:%S +0000"),
                         f"out{week}@x"))
    mbox = _mbox(tmp_path / "m.mbox", messages)
    cfg = _config(tmp_path, mbox, '\n[report]\ntimezone = "Pacific/Auckland"\n')
    assert main(["--config", str(cfg), "sync"]) == 0
    capsys.readouterr()
    assert main(["--config", str(cfg), "report", "--as-of", "2024-12-01T08:00"]) == 0
    out = capsys.readouterr().out
    assert "ann@x.com" in out.split("DORMANT")[0].split("REPLIES")[0], out
    assert "(Dec-Nov)" in out, out


def test_encoded_name_is_decoded_when_a_neighbour_is_malformed():
    """One malformed address sends the header value to the getaddresses fallback, which left
    the RFC 2047 display names of the good addresses encoded."""
    from collections import Counter

    from daemon.sync.addresses import parse_addresses

    got = parse_addresses(("=?utf-8?q?Jos=C3=A9?= <jose@y.es>, bob@",), Counter())
    assert got == [("José", "jose@y.es")]


def test_smtp_port_follows_security_unless_given() -> None:
    from daemon.config import DeliverySettings

    assert DeliverySettings(security="tls").smtp_port == 465
    assert DeliverySettings(security="starttls").smtp_port == 587
    assert DeliverySettings(security="tls", port=2465).smtp_port == 2465


def test_ignored_googlemail_domain_matches_stored_gmail_contacts() -> None:
    from daemon.config import IgnoreSettings
    from daemon.model.ignore import Matcher

    matcher = Matcher(IgnoreSettings(domains=("GoogleMail.com",)))
    assert matcher.ignored("someone@gmail.com")


def test_purge_before_keeps_the_given_offset(tmp_path: Path, capsys) -> None:
    from daemon.cli.core import _date

    assert _date("2024-01-02T12:00+02:00") == datetime(2024, 1, 2, 10, tzinfo=UTC)
    assert _date("2024-01-02") == datetime(2024, 1, 2, tzinfo=UTC)


def test_contacts_limit_must_be_positive(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["contacts", "--limit", "-1"])
    assert exc.value.code == 2


def test_sync_health_lists_configured_accounts_only(tmp_path: Path, capsys) -> None:
    mbox = tmp_path / "m.mbox"
    mbox.write_text("From a@x Mon Jan  1 00:00:00 2024\nFrom: a@x.com\nTo: me@example.com\n"
                    "Date: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <1@x>\n\nhi\n")
    head = '[me]\naddresses = ["me@example.com"]\n'
    synced = f'[[accounts]]\nname = "old"\nkind = "mbox"\npath = "{mbox}"\n'
    fresh = f'[[accounts]]\nname = "new"\nkind = "mbox"\npath = "{mbox}"\n'
    cfg = tmp_path / "c.toml"
    cfg.write_text(head + synced)
    assert main(["--config", str(cfg), "sync"]) == 0
    cfg.write_text(head + fresh)  # "old" dropped from the config, "new" not synced yet
    capsys.readouterr()
    assert main(["--config", str(cfg), "report"]) == 0
    health = capsys.readouterr().out.split("SYNC HEALTH")[1].split("--")[0]
    assert "new (mbox): never synced; fix: keepwarm sync new" in health
    assert "old" not in health
