"""Bad days that start in the config file: one line naming file, line and key, exit 2."""

from __future__ import annotations

from tests.badday.conftest import BadDay


def test_smtp_delivery_without_a_recipient_names_the_line(bad_day: BadDay) -> None:
    bad_day.write_config('[me]\naddresses = ["me@example.com"]\n'
                         '[delivery]\nmethod = "smtp"\nhost = "mail.example.com"\n')
    out = bad_day.fails("send-summary", code=2, hint="", says=f"{bad_day.config}:")
    assert "delivery" in out.stderr


def test_an_archive_path_that_does_not_exist_fails_config_check(bad_day: BadDay) -> None:
    bad_day.write_config('[me]\naddresses = ["me@example.com"]\n[[accounts]]\nname = "a"\n'
                         f'kind = "maildir"\npath = "{bad_day.home}/nowhere"\n')
    bad_day.fails("config", "check", code=2, hint="fix the path", says=":6: accounts[0].path")


def test_a_sync_interval_of_zero_is_refused_at_load_with_the_line(bad_day: BadDay) -> None:
    bad_day.write_config('[me]\naddresses = ["me@example.com"]\n\n'
                         '[daemon]\nsync_interval = "0m"\n')
    bad_day.fails("config", "check", code=2, hint="",
                  says=f"{bad_day.config}:5: daemon.sync_interval: '0m' is under one minute")
