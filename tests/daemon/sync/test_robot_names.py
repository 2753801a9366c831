"""Issue 17: robots by their address or display name (``robot_name``), beside the noreply and
role senders ``is_automated_sender`` already knew; people whose names merely end in "bot" are
people."""

from __future__ import annotations

import pytest

from daemon.sync.automation import robot_name


@pytest.mark.parametrize(("address", "name"), [
    ("lkp@intel.com", "kernel test robot"),
    ("pr-tracker-bot@kernel.org", ""),
    ("patchwork-bot+netdevbpf@kernel.org", ""),
    ("syzbot+6da9575ba2db4da91831@syzkaller.appspotmail.com", "syzbot"),
    ("49699333+dependabot[bot]@users.noreply.github.com", "dependabot[bot]"),
    ("hulkci@huawei.com", "Hulk Robot"),
    ("no-reply@accounts.example", "Accounts"),
    ("mailer-daemon@mx.example", ""),
])
def test_robots(address: str, name: str) -> None:
    assert robot_name(address, name)


@pytest.mark.parametrize(("address", "name"), [
    ("j.talbot@x.example", "Jane Talbot"),
    ("talbot@x.example", "Jane Talbot"),
    ("ann@x.example", "Ann Bothwell"),
    ("botond@x.example", "Botond Kis"),
])
def test_people(address: str, name: str) -> None:
    assert robot_name(address, name) is None
