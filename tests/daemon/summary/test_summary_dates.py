"""The summary's dates and health lines, end to end through the CLI: reasons in the report
time zone, activity-strip months, configured accounts only."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from daemon.cli import main

from helpers.archive import ME, mbox_config, write_mbox


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
    mbox = write_mbox(tmp_path / "m.mbox", messages)
    cfg = mbox_config(tmp_path, mbox, '\n[report]\ntimezone = "America/Los_Angeles"\n')
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
    mbox = write_mbox(tmp_path / "m.mbox", messages)
    cfg = mbox_config(tmp_path, mbox, '\n[report]\ntimezone = "Pacific/Auckland"\n')
    assert main(["--config", str(cfg), "sync"]) == 0
    capsys.readouterr()
    assert main(["--config", str(cfg), "report", "--as-of", "2024-12-01T08:00"]) == 0
    out = capsys.readouterr().out
    assert "ann@x.com" in out.split("DORMANT")[0].split("REPLIES")[0], out
    assert "(Dec-Nov)" in out, out


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
