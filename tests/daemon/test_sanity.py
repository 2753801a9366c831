"""Set-up mistakes a valid config can hold: placeholder addresses and archive paths not there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from daemon import config as config_mod
from daemon.config.sanity import is_placeholder, missing_paths, placeholders

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("address", [
    "me@example.com", "Me@EXAMPLE.org", "a@mail.example.net", "x@corp.example", "y@host.test",
    "z@nowhere.invalid", "root@localhost", "me.personal@gmail.com", "Me <me@example.org>"])
def test_reserved_names_and_the_template_stand_ins_are_placeholders(address: str) -> None:
    assert is_placeholder(address)


@pytest.mark.parametrize("address", [
    "ada@lovelace.org", "me@gmail.com", "x@example-vendor.com", "y@examples.com",
    "z@testing.io"])
def test_real_looking_addresses_are_not(address: str) -> None:
    assert not is_placeholder(address)


def test_every_address_the_template_puts_in_me_is_a_placeholder() -> None:
    text = (ROOT / "config" / "keepwarm.example.toml").read_text()
    for address in tomllib.loads(text)["me"]["addresses"]:
        assert is_placeholder(address), address
    for address in re.findall(r"address = \"([^\"]+)\"", text):  # commented account examples
        assert is_placeholder(address), address


def test_placeholders_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[me]\naddresses = ["ada@lovelace.org", "me@example.com"]\n'
                    '[[accounts]]\nname = "w"\nkind = "microsoft"\nclient_id = "x"\n'
                    'address = "me@example.com"\n'
                    '[delivery]\nmethod = "file"\nto = "me@example.org"\n')
    found = placeholders(config_mod.load(path))
    assert found == [f"{path}:2: me.addresses[1]: 'me@example.com' is a placeholder",
                     f"{path}:7: accounts[0].address: 'me@example.com' is a placeholder",
                     f"{path}:10: delivery.to: 'me@example.org' is a placeholder"]


def test_the_summary_recipient_counts_only_once_delivery_is_on(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[me]\naddresses = ["ada@lovelace.org"]\n[delivery]\nto = "me@example.com"\n')
    assert placeholders(config_mod.load(path)) == []


def test_smtp_sender_and_login_count_too(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[delivery]\nmethod = "smtp"\nto = "Ada <ada@lovelace.org>"\n'
                    'host = "smtp.lovelace.org"\nsender = "keepwarm@example.com"\nuser = "test"\n')
    assert placeholders(config_mod.load(path)) == [
        f"{path}:5: delivery.sender: 'keepwarm@example.com' is a placeholder"]


def test_missing_paths_skip_paused_accounts(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[accounts]]\nname = "a"\nkind = "mbox"\npath = "gone"\n'
                    '[[accounts]]\nname = "b"\nkind = "mbox"\npath = "gone"\nenabled = false\n')
    assert missing_paths(config_mod.load(path)) == [
        f"{path}:4: accounts[0].path: {str(tmp_path / 'gone')!r} does not exist"]
