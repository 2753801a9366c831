"""Bad days in the first five minutes: a starter config that still holds the template's
placeholders, and the interactive ``keepwarm init`` on a real terminal."""

from __future__ import annotations

from tests.badday.conftest import BadDay


def test_doctor_after_a_non_interactive_init_names_the_placeholder(bad_day: BadDay) -> None:
    bad_day.config.unlink(missing_ok=True)
    assert bad_day.run("init", "--yes").code == 0
    out = bad_day.run("doctor")
    assert out.code == 1, out.stdout
    assert "Traceback" not in out.stdout + out.stderr
    fixes = [line for line in out.stdout.splitlines() if line.startswith("FIX")]
    assert any("'me@example.com' is a placeholder" in line for line in fixes), out.stdout
    assert any("accounts[0].path" in line and "Maildir" in line for line in fixes), out.stdout


def test_config_check_after_a_non_interactive_init_says_what_to_edit(bad_day: BadDay) -> None:
    assert bad_day.run("init", "--yes").code == 0
    out = bad_day.fails("config", "check", code=2, hint="fix the path", says="accounts[0].path")
    assert "'me@example.com' is a placeholder" in out.stdout
    assert "'me.personal@gmail.com' is a placeholder" in out.stdout
