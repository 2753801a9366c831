"""The team config: [[members]] merged with the shared defaults into one plain config each,
every problem of every member named by file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.settings import GoogleAccount, MicrosoftAccount
from daemon.config import DEFAULT_MEMBER, Config, parse
from daemon.errors import ConfigError, UsageError
from daemon.store import sql

PATH = Path("/etc/kw/config.toml")
# auth = "organisation" and the organisation's credentials once the connectors' settings have
# them; until then only the shortcuts take the organisation's keys (each placeholder keeps its
# line, so line numbers hold).
HAS_AUTH = "auth" in MicrosoftAccount.model_fields
GOOGLE_KEY = "service_account_file" if "auth" in GoogleAccount.model_fields else "client_secrets"
MS_SECRET = 'client_secret_env = "KEEPWARM_GRAPH_SECRET"' if HAS_AUTH else ""
TEAM = """\
[report]
top = 7
timezone = "Europe/London"

[ignore]
domains = ["vendor.example"]

[[people]]
addresses = ["ada@a.example", "ada@b.example"]

[delivery]
method = "file"
folder = "summaries"

[organisation.google]
GOOGLE_KEY = "org.json"
token_uri = "http://127.0.0.1:9/token"

[organisation.microsoft]
client_id = "org-app"
tenant = "firm.example"
MS_SECRET
[[members]]
name = "alice"
addresses = ["alice@firm.example", "a@firm.example"]
google = true

[members.report]
top = 3

[members.ignore]
domains = ["alice-only.example", "vendor.example"]

[[members.accounts]]
name = "archive"
kind = "maildir"
path = "alice/Maildir"

[[members.accounts]]
name = "office"
kind = "microsoft"
client_id = "own-app"
AUTH

[[members]]
name = "bob"
addresses = ["bob@firm.example"]
microsoft = true

[members.delivery]
to = "bob@home.example"

[[members.people]]
addresses = ["grace@a.example", "grace@b.example"]
""".replace("AUTH", 'auth = "organisation"' if HAS_AUTH else '# auth = "organisation"').replace(
    "GOOGLE_KEY", GOOGLE_KEY).replace("MS_SECRET", MS_SECRET)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text, PATH)
    return info.value.problems


def test_the_default_member_is_the_stores():
    assert DEFAULT_MEMBER == sql.DEFAULT_MEMBER


def test_a_single_user_config_is_a_team_of_one():
    cfg = parse('[me]\naddresses = ["me@firm.example"]\n', PATH)
    assert cfg.member == "me" and cfg.members == ()
    assert cfg.team() == (cfg,)
    assert cfg.for_member("me") is cfg
    with pytest.raises(UsageError, match="no member named 'alice' \\(members: me\\)"):
        cfg.for_member("alice")
    assert Config().team() == (Config(),)


def test_each_member_gets_a_plain_config():
    cfg = parse(TEAM, PATH)
    alice, bob = cfg.team()
    assert (alice.member, bob.member) == ("alice", "bob")
    assert cfg.for_member("bob") is bob
    assert alice.members == () and bob.members == ()
    assert alice.me.addresses == ("alice@firm.example", "a@firm.example")
    assert [a.name for a in alice.accounts] == ["alice.archive", "alice.office", "alice.google"]
    assert [a.name for a in bob.accounts] == ["bob.microsoft"]
    assert alice.accounts[0].path == Path("/etc/kw/alice/Maildir")  # relative to the file
    assert alice.store_url == bob.store_url == cfg.store_url


def test_report_and_delivery_are_defaults_a_member_overrides():
    alice, bob = parse(TEAM, PATH).team()
    assert (alice.report.top, bob.report.top) == (3, 7)
    assert alice.report.timezone == bob.report.timezone == "Europe/London"
    assert alice.delivery.method == bob.delivery.method == "file"
    assert alice.delivery.folder == Path("/etc/kw/summaries")
    assert alice.delivery.to == "alice@firm.example"  # the first address by default
    assert bob.delivery.to == "bob@home.example"


def test_ignore_and_people_are_joined():
    alice, bob = parse(TEAM, PATH).team()
    assert alice.ignore.domains == ("vendor.example", "alice-only.example")
    assert bob.ignore.domains == ("vendor.example",)
    assert len(alice.people) == 1
    assert [p.addresses[0] for p in bob.people] == ["ada@a.example", "grace@a.example"]


def test_organisation_keys_fill_what_an_account_leaves_unset():
    alice, bob = parse(TEAM, PATH).team()
    office = alice.account("alice.office")
    tenant = "firm.example" if HAS_AUTH else "common"
    assert (office.client_id, office.tenant) == ("own-app", tenant)  # type: ignore
    assert office.address == ("alice@firm.example" if HAS_AUTH else None)  # type: ignore
    google = alice.account("alice.google")
    assert getattr(google, GOOGLE_KEY) == Path("/etc/kw/org.json")
    assert google.token_uri == "http://127.0.0.1:9/token"  # type: ignore[union-attr]
    assert google.address == "alice@firm.example"  # type: ignore[union-attr]
    microsoft = bob.account("bob.microsoft")
    assert (microsoft.client_id, microsoft.address) == ("org-app", "bob@firm.example")  # type: ignore


def test_a_per_user_account_takes_nothing_from_the_organisation():
    text = TEAM.replace('auth = "organisation"', "")
    office = parse(text, PATH).for_member("alice").account("alice.office")
    assert office.tenant == "common"  # type: ignore[union-attr]


def test_an_error_in_a_members_merged_settings_names_its_key():
    text = TEAM + '[[members]]\nname = "carol"\naddresses = ["c@firm.example"]\n' \
        '[members.delivery]\nmethod = "smtp"\n'
    [p] = problems(text)
    assert p == ("/etc/kw/config.toml:58: members[2].delivery: method 'smtp' needs host")


def test_an_error_in_a_members_account_names_its_line():
    text = TEAM.replace('path = "alice/Maildir"\n', 'path = "alice/Maildir"\ncolour = 1\n')
    [p] = problems(text)
    assert p.startswith("/etc/kw/config.toml:38: members[0].accounts[0].colour: unknown key")


def test_an_error_in_a_shared_key_is_reported_once_at_its_place():
    ps = problems(TEAM.replace('= "org.json"\n', "= 5\n"))
    assert len(ps) == 1 and ps[0].startswith(
        f"/etc/kw/config.toml:16: organisation.google.{GOOGLE_KEY}:")
    ps = problems(TEAM.replace("top = 7", "top = 0"))
    assert len(ps) == 1 and ps[0].startswith("/etc/kw/config.toml:2: report.top:")


def test_member_table_problems():
    text = TEAM.replace('name = "bob"', 'name = "alice"').replace(
        'microsoft = true', 'microsoft = true\nshoe = 1')
    text = text.replace('name = "archive"', f'name = "{"a" * 60}"')
    ps = problems(text)
    assert "/etc/kw/config.toml:49: members[1].shoe: unknown key" in ps[1]
    assert ps[0].startswith(f"/etc/kw/config.toml:35: members[0].accounts[0].name: "
                            f"'alice.{'a' * 60}' is longer than 64")
    ps = problems(TEAM.replace('name = "bob"', 'name = "alice"'))
    assert ps == ["/etc/kw/config.toml:46: members[1].name: member name 'alice' is used twice"]
    [p] = problems(TEAM.replace('name = "bob"', 'name = "bob.b"'))
    assert p.startswith("/etc/kw/config.toml:46: members[1].name: String should match")


def test_a_shortcut_needs_the_organisation_table():
    text = TEAM.replace("[organisation.microsoft]", "[organisation.x]")
    ps = problems(text)
    assert ("/etc/kw/config.toml:48: members[1].microsoft: needs an [organisation.microsoft] "
            "table (the shared sign-in)") in ps
    assert ("/etc/kw/config.toml:19: organisation.x: unknown key (see "
            "config/keepwarm.example.toml for the allowed keys)") in ps
    assert not any("members[1].microsoft." in p for p in ps)  # not repeated key by key


def test_a_team_has_no_top_level_me_accounts_or_recipient():
    text = '[me]\naddresses = ["x@firm.example"]\n[delivery]\nto = "all@firm.example"\n' \
        '[[members]]\nname = "a"\naddresses = ["a@firm.example"]\n'
    ps = problems(text)
    assert ps[0].startswith("/etc/kw/config.toml:1: me: a team config has no top-level [me]")
    assert ps[1].startswith("/etc/kw/config.toml:4: delivery.to: set per member")
    [p] = problems('member = "x"\n')
    assert p.startswith("/etc/kw/config.toml:1: member: unknown key")
    [p] = problems('[organisation.google]\ntoken_uri = "x"\n')
    assert p.startswith("/etc/kw/config.toml:1: organisation: only a team config")


def test_organisation_tables_take_only_shared_keys():
    [p] = problems(TEAM.replace('client_id = "org-app"',
                                'client_id = "org-app"\naddress = "x@firm.example"'))
    assert p.startswith("/etc/kw/config.toml:19: organisation.microsoft: address: not a "
                        "shared microsoft key")


def test_set_up_checks_name_each_members_keys(tmp_path: Path):
    from daemon.config import load, sanity

    path = tmp_path / "config.toml"
    text = TEAM.replace("firm.example", "firm.co").replace("bob@firm.co", "bob@example.com")
    path.write_text(text.replace("a.example", "a.co"), encoding="utf-8")
    config = load(path)
    assert sanity.placeholders(config) == [
        f"{path}:47: members[1].addresses[0]: 'bob@example.com' is a placeholder",
        f"{path}:48: members[1].microsoft.address: 'bob@example.com' is a placeholder",
        f"{path}:51: members[1].delivery.to: 'bob@home.example' is a placeholder"]
    assert sanity.missing_paths(config) == [
        f"{path}:37: members[0].accounts[0].path: "
        f"'{tmp_path / 'alice' / 'Maildir'}' does not exist"]
