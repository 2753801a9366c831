"""``--member`` on a team config: every per-person command sees one member's rows only; without
it those commands fail with one line naming the members; status and sync cover everyone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from daemon.cli import main
from tests.helpers.archive import write_mbox

PEOPLE = {"alice": "ann@partner.org", "bob": "carl@client.org"}


def _mail(tmp_path: Path, member: str, other: str) -> Path:
    me = f"{member}@firm.org"
    messages = []
    for day in range(1, 29, 3):  # a regular two-way correspondence
        messages += [(other, me, f"Mon, {day:02d} Jan 2024 10:00:00 +0000", f"{member}{day}a@x"),
                     (me, other, f"Mon, {day + 1:02d} Jan 2024 10:00:00 +0000",
                      f"{member}{day}b@x")]
    return write_mbox(tmp_path / f"{member}.mbox", messages)


@pytest.fixture
def team(tmp_path: Path) -> Path:
    members = "".join(
        f'[[members]]\nname = "{m}"\naddresses = ["{m}@firm.org"]\n\n[[members.accounts]]\n'
        f'name = "mail"\nkind = "mbox"\npath = "{_mail(tmp_path, m, other)}"\n\n'
        for m, other in PEOPLE.items())
    path = tmp_path / "config.toml"
    path.write_text(f'[store]\nurl = "sqlite:///{tmp_path / "kw.db"}"\n\n{members}')
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_without_member_a_per_person_command_names_the_members(team, capsys):
    for argv in (["contacts"], ["snooze"], ["report"], ["ignore", "list"], ["sync", "mail"]):
        code, out, err = _run(capsys, "--config", str(team), *argv)
        assert code == 2 and out == ""
        assert err == ("keepwarm: error: this config is a team: name the member with --member "
                       "NAME (members: alice, bob)\n"), argv
    code, _, err = _run(capsys, "--config", str(team), "--member", "zed", "contacts")
    assert code == 2 and "no member named 'zed' (members: alice, bob)" in err


def test_config_check_and_status_cover_everyone(team, capsys):
    code, out, _ = _run(capsys, "--config", str(team), "config", "check")
    assert code == 0 and "2 members, 2 accounts" in out
    code, out, _ = _run(capsys, "--config", str(team), "status")
    assert code == 0
    assert "alice.mail: configured, never synced" in out
    assert "bob.mail: configured, never synced" in out
    assert _run(capsys, "--config", str(team), "sync")[0] == 0
    code, out, _ = _run(capsys, "--config", str(team), "status")
    assert code == 0 and "alice.mail" in out and "bob.mail" in out
    assert "never synced" not in out
    _, out, _ = _run(capsys, "--config", str(team), "doctor")
    assert "2 address(es) of 2 members" in out
    assert "alice: no delivery configured" in out and "bob: no delivery configured" in out


def test_the_snapshot_keeps_every_member(team, capsys):
    from daemon.cli import snapshot
    from daemon.config import load

    config = load(team)
    snapshot.take(config, team, team.read_text())
    kept = snapshot.read(team)
    assert kept == snapshot.Settings.of(config)
    assert [(m.member, m.accounts) for m in kept.team()] == [("alice", ("alice.mail",)),
                                                             ("bob", ("bob.mail",))]


def test_sync_one_account_by_full_name_or_under_member(team, capsys):
    code, out, _ = _run(capsys, "--config", str(team), "sync", "alice.mail")
    assert code == 0 and out.startswith("alice.mail: ok")
    code, out, _ = _run(capsys, "--config", str(team), "--member", "bob", "sync", "mail")
    assert code == 0 and out.startswith("bob.mail: ok")
    code, _, err = _run(capsys, "--config", str(team), "--member", "bob", "sync", "alice.mail")
    assert code == 2 and "no account named 'alice.mail' (accounts: bob.mail)" in err


def test_each_member_sees_only_their_own(team, capsys, monkeypatch):
    assert _run(capsys, "--config", str(team), "sync")[0] == 0
    for member, other in (("alice", "bob"), ("bob", "alice")):
        code, out, _ = _run(capsys, "--config", str(team), "--member", member, "contacts")
        assert code == 0
        assert PEOPLE[member] in out and PEOPLE[other] not in out
        code, out, _ = _run(capsys, "--config", str(team), "--member", member, "report",
                            "--as-of", "2024-03-01", "--format", "json", "--all")
        assert code == 0
        text = json.dumps(json.loads(out))
        assert PEOPLE[member] in text and PEOPLE[other] not in text
    assert _run(capsys, "--config", str(team), "--member", "alice", "snooze",
                PEOPLE["alice"], "2w")[0] == 0
    monkeypatch.setenv("KEEPWARM_MEMBER", "bob")  # the environment names the member too
    code, out, _ = _run(capsys, "--config", str(team), "snooze")
    assert (code, out) == (0, "Nobody is snoozed.\n")
    code, out, _ = _run(capsys, "--config", str(team), "--member", "alice", "snooze")
    assert code == 0 and out.startswith(f"{PEOPLE['alice']}\tuntil ")
