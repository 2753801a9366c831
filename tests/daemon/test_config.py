"""Config errors name file, line and key; defaults and paths resolve."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from daemon.cli import main
from daemon.config import DURATION, INTERVAL, load, parse, parse_duration
from daemon.errors import ConfigError

from helpers.archive import mbox_config, write_mbox

GOOD = """\
[me]
addresses = ["me@example.com"]

[[accounts]]
name = "mail"
kind = "mbox"
path = "archive/all.mbox"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, Path("/etc/kw/config.toml"))
    return info.value.problems


def test_good_config_resolves_relative_paths():
    cfg = parse(GOOD, Path("/etc/kw/config.toml"))
    assert cfg.accounts[0].path == Path("/etc/kw/archive/all.mbox")
    assert cfg.me.addresses == ("me@example.com",)
    assert cfg.store_url.startswith("sqlite:///")


def test_wrong_kind_names_line_key_and_choices():
    text = GOOD + '\n[[accounts]]\nname = "g"\nkind = "gogle"\n'
    [p] = problems(text)
    assert p == ("/etc/kw/config.toml:11: accounts[1].kind: 'gogle' is not one of google, "
                 "microsoft, maildir, mbox, ics, imap, caldav")


def test_unknown_key_is_an_error_on_its_line():
    [p] = problems(GOOD + 'colour = "red"\n')
    assert p.startswith("/etc/kw/config.toml:8: accounts[0].colour: unknown key")


def test_unknown_section_is_an_error():
    [p] = problems("[stor]\nurl = 'x'\n")
    assert p.startswith("/etc/kw/config.toml:1: stor: unknown key")


def test_every_problem_is_reported_at_once():
    text = GOOD + "[report]\ntop = 0\nweekday = 'someday'\n"
    ps = problems(text)
    assert [p.split(": ")[1] for p in ps] == ["report.top", "report.weekday"]
    assert ps[0].startswith("/etc/kw/config.toml:9:")


def test_missing_required_key_points_at_its_table():
    [p] = problems('[[accounts]]\nname = "x"\nkind = "maildir"\n')
    assert p == "/etc/kw/config.toml:1: accounts[0].path: required key is missing"


def test_duplicate_account_names():
    [p] = problems(GOOD + GOOD.split("\n\n", 1)[1])
    assert "used twice" in p


def test_toml_syntax_error_names_line():
    [p] = problems('[me]\naddresses = ["a@b.c"\n\n')
    assert p.startswith("/etc/kw/config.toml:") and "TOML syntax" in p


def test_missing_file_hints_init(tmp_path):
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "nope.toml")
    assert info.value.hint == "create one with: keepwarm init"


def test_example_config_is_valid():
    example = Path(__file__).parents[2] / "config" / "keepwarm.example.toml"
    cfg = load(example)
    assert cfg.accounts and cfg.people and cfg.ignore.patterns


def test_unknown_time_zone_is_a_config_error():
    [p] = problems(GOOD + '[report]\ntimezone = "Mars/Olympus"\n')
    assert p.startswith("/etc/kw/config.toml:9: report.timezone: unknown time zone")


def test_config_check_masks_the_store_password(tmp_path, capsys):
    """``config check`` prints the resolved configuration "secrets masked": a password in the
    [store] URL is a secret."""
    mbox = write_mbox(tmp_path / "m.mbox", [])
    cfg = mbox_config(tmp_path, mbox, '\n[store]\nurl = "postgresql+psycopg://kw:hunter2@db.example/kw"\n')
    assert main(["--config", str(cfg), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out and "db.example" in out


def test_smtp_port_follows_security_unless_given() -> None:
    from daemon.config import DeliverySettings

    assert DeliverySettings(security="tls").smtp_port == 465
    assert DeliverySettings(security="starttls").smtp_port == 587
    assert DeliverySettings(security="tls", port=2465).smtp_port == 2465


@pytest.mark.parametrize("spec, expected", [
    ("90s", timedelta(seconds=90)), ("15min", timedelta(minutes=15)), ("2h", timedelta(hours=2)),
    ("30d", timedelta(days=30)), ("4w", timedelta(weeks=4)), ("3m", timedelta(days=90)),
    ("1y", timedelta(days=365)), (" 3 m ", timedelta(days=90))])
def test_each_unit_letter_has_one_meaning(spec: str, expected: timedelta):
    clock = expected < timedelta(days=1)
    assert parse_duration(spec, INTERVAL if clock else DURATION) == expected
    if clock:  # a snooze or a retention window is a calendar span
        with pytest.raises(ValueError):
            parse_duration(spec)


def test_sync_interval_in_minutes_is_min_and_an_old_m_is_refused_with_the_fix():
    assert parse(GOOD + '\n[daemon]\nsync_interval = "20min"\n',
                 Path("/c.toml")).daemon.sync_interval == "20min"
    (problem,) = problems(GOOD + '\n[daemon]\nsync_interval = "15m"\n')
    assert problem.startswith("/etc/kw/config.toml:10: daemon.sync_interval:")
    assert "months" in problem and "'15min'" in problem
    (problem,) = problems(GOOD + '\n[daemon]\nsync_interval = "2w"\n')
    assert "not an interval" in problem


@pytest.mark.parametrize("pattern", ["[", "*[a-", "x[!]", "ab[c"])
def test_an_ignore_pattern_with_an_unclosed_bracket_is_refused(pattern):
    [p] = problems(GOOD + f'\n[ignore]\npatterns = ["*@ok.org", "{pattern}"]\n')
    assert p.startswith("/etc/kw/config.toml:10: ignore.patterns: ") and "'['" in p


def test_ignore_patterns_with_closed_classes_load():
    parse(GOOD + '\n[ignore]\npatterns = ["[[]x", "*@x.[ch]om", "[]]", "[!a]*"]\n',
          Path("/etc/kw/config.toml"))


@pytest.mark.parametrize("missing", ["to", "host"])
def test_smtp_delivery_without_to_or_host_is_a_config_error(missing):
    keys = {"to": 'to = "me@example.com"', "host": 'host = "smtp.example.com"'}
    del keys[missing]
    [p] = problems(GOOD + '\n[delivery]\nmethod = "smtp"\n' + "\n".join(keys.values()) + "\n")
    assert p.startswith("/etc/kw/config.toml:9: delivery: ") and missing in p


def test_config_check_names_an_archive_path_that_does_not_exist(tmp_path, capsys):
    cfg = tmp_path / "config.toml"
    cfg.write_text(GOOD + f'\n[store]\nurl = "sqlite:///{tmp_path}/kw.db"\n')
    assert main(["--config", str(cfg), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert f"{cfg}:7: accounts[0].path: '{tmp_path}/archive/all.mbox' does not exist" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("interval", ["0m", "0min", "0s", "30s", "59s", "0h", "-5min", "-1m",
                                      " 0 d"])
def test_a_sync_interval_under_one_minute_is_refused_at_load(interval):
    """Issue 12: "0m" once came back with the fix "write '0min'", itself refused."""
    (problem,) = problems(GOOD + f'\n[daemon]\nsync_interval = "{interval}"\n')
    assert problem.startswith("/etc/kw/config.toml:10: daemon.sync_interval: ")
    assert "at least 1min" in problem and "'0min')" not in problem


@pytest.mark.parametrize("interval", ["60s", "1min", "90s", "1d"])
def test_a_sync_interval_of_a_minute_or_more_is_accepted(interval):
    text = GOOD + f'\n[daemon]\nsync_interval = "{interval}"\n'
    assert parse(text, Path("/c.toml")).daemon.sync_interval == interval


MICROSOFT = '[[accounts]]\nname = "work"\nkind = "microsoft"\nclient_id = "x"\n'


@pytest.mark.parametrize("written", ["https://graph.microsoft.com/v1.0",
                                     "https://graph.microsoft.com/v1.0/",
                                     "https://graph.microsoft.com/V1.0//",
                                     "https://graph.microsoft.com/"])
def test_a_graph_endpoint_copied_with_v1_or_a_slash_is_the_graph_root(written):
    """Issue 12: ".../v1.0" from Microsoft's docs passed config check, then every request
    went to /v1.0/v1.0 ("Resource not found for the segment 'mailFolders'")."""
    from connectors.microsoft.auth import graph_root

    cfg = parse(MICROSOFT + f'graph_endpoint = "{written}"\n', Path("/c.toml"))
    assert cfg.accounts[0].graph_endpoint == "https://graph.microsoft.com"
    assert graph_root(cfg.accounts[0]) == "https://graph.microsoft.com/v1.0"


@pytest.mark.parametrize(("written", "says"), [
    ("https://graph.microsoft.com/beta", "v1.0"),
    ("graph.microsoft.com", "https://"),
])
def test_a_graph_endpoint_keepwarm_cannot_use_is_refused_with_the_line(written, says):
    (problem,) = problems(MICROSOFT + f'graph_endpoint = "{written}"\n')
    assert problem.startswith("/etc/kw/config.toml:5: accounts[0].graph_endpoint: ")
    assert says in problem


def test_a_caldav_account_names_exactly_one_password_source():
    base = GOOD + '\n[[accounts]]\nname = "c"\nkind = "caldav"\nurl = "caldav.icloud.com"\n' \
        'username = "me@icloud.com"\n'
    [p] = problems(base)
    assert "exactly one of password_env, password_file or password_keyring" in p
    [p] = problems(base + 'password_env = "PW"\npassword_keyring = true\n')
    assert "found 2" in p
    [account] = [a for a in parse(base + 'password_env = "PW"\n', Path("/x")).accounts
                 if a.kind == "caldav"]
    assert account.url == "https://caldav.icloud.com"  # a bare host means https
