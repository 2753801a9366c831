"""A firm for the team tests: members with small maildirs, their team config, the replicas as
``keepwarm run`` subprocesses, and what "the store equals the mailbox" compares per member.

Neighbouring members share a few messages (same Message-ID in both maildirs), as colleagues
do, so a store that mixed two members' rows would show it.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from daemon.store import Store
from daemon.store.models import Contact, Item, ItemSource, Member, Touchpoint

from helpers.daemons import start_daemon

DOMAIN = "firm.example"


def address(member: str) -> str:
    return f"{member}@{DOMAIN}"


def write_maildirs(root: Path, members: list[str], *, per_member: tuple[int, int] = (20, 40),
                   seed: int = 15) -> dict[str, Path]:
    """One maildir per member (``root/NAME``) of header-only messages with a few clients and
    with the next member; returns member -> maildir."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    boxes = {m: root / m for m in members}
    for box in boxes.values():
        for sub in ("cur", "new", "tmp"):
            (box / sub).mkdir(parents=True)
    for i, member in enumerate(members):
        me, peer = address(member), address(members[(i + 1) % len(members)])
        clients = [f"c{j}@client{i}.example" for j in range(4)]
        for k in range(rng.randint(*per_member)):
            shared = k % 7 == 0 and len(members) > 1
            other = peer if shared else rng.choice(clients)
            sent = rng.random() < 0.4
            frm, to = (me, other) if sent else (other, me)
            when = now - timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 1439))
            head = (f"Message-ID: <{member}.{k}@{DOMAIN}>\nFrom: {frm}\nTo: {to}\n"
                    f"Date: {format_datetime(when)}\n\nbody\n").encode()
            name = f"{int(when.timestamp())}.{member}{k}.host:2,S"
            (boxes[member] / "cur" / name).write_bytes(head)
            if shared:  # the colleague holds the same message in their own maildir
                nxt = members[(i + 1) % len(members)]
                (boxes[nxt] / "cur" / f"{int(when.timestamp())}.{member}{k}.peer:2,S"
                 ).write_bytes(head)
    return boxes


def team_config(path: Path, store_url: str, boxes: dict[str, Path], *, smtp_port: int,
                workers: int = 4, lease_ttl: str = "3min") -> Path:
    """A team config: one maildir account per member, the summary's slot (Monday 00:00 UTC)
    already past this week, delivery by SMTP to each member's own address."""
    head = (f'[store]\nurl = "{store_url}"\n\n[daemon]\nsync_interval = "1min"\n'
            f'workers = {workers}\nlease_ttl = "{lease_ttl}"\n\n'
            '[report]\ntimezone = "UTC"\nweekday = "mon"\n'
            f'time = "00:00"\n\n[delivery]\nmethod = "smtp"\nhost = "127.0.0.1"\n'
            f'port = {smtp_port}\nsecurity = "none"\nsender = "keepwarm@{DOMAIN}"\n')
    members = "".join(
        f'\n[[members]]\nname = "{m}"\naddresses = ["{address(m)}"]\n'
        f'[[members.accounts]]\nname = "mail"\nkind = "maildir"\npath = "{box}"\n'
        for m, box in boxes.items())
    path.write_text(head + members)
    return path


def snapshot(store: Store, member: str) -> tuple[set[str], set[tuple[str, str, str]]]:
    """One member's (source ids claimed, (identity, counterpart, direction) touchpoints)."""
    with store.session() as s:
        mid = s.execute(select(Member.id).where(Member.name == member)).scalar()
        claims = set(s.execute(select(ItemSource.source_id).join(
            Item, Item.id == ItemSource.item_id).where(Item.member_id == mid)).scalars())
        tps = {(i, a, str(d)) for i, a, d in s.execute(
            select(Item.identity, Contact.address, Touchpoint.direction)
            .join(Item, Item.id == Touchpoint.item_id)
            .join(Contact, Contact.id == Touchpoint.contact_id)
            .where(Touchpoint.member_id == mid))}
    return claims, tps


class Replica:
    """One ``keepwarm run`` subprocess; its stderr lines kept, ``on_line`` called with each."""

    def __init__(self, name: str, config: Path, env: dict[str, str],
                 on_line: Callable[[Replica, str], None] | None = None) -> None:
        self.name = name
        self.lines: list[str] = []
        self.proc: subprocess.Popen[Any] = start_daemon(config, env, text=True)
        self.on_line = on_line
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        for line in self.proc.stderr or []:
            self.lines.append(line)
            if self.on_line is not None:
                self.on_line(self, line)

    def kill(self) -> None:
        """kill -9: no clean stop, no lease given back."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 9)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def log(self) -> str:
        return f"--- {self.name} (pid {self.pid}) ---\n" + "".join(self.lines[-60:])


def wait_until(done: Callable[[], bool], timeout: float, what: Callable[[], str],
               replicas: Sequence[Replica] = ()) -> None:
    """Poll ``done`` until true; fail with ``what()`` after ``timeout`` seconds, or at once
    when every one of ``replicas`` has exited."""
    deadline = time.monotonic() + timeout
    while not done():
        if replicas and all(r.proc.poll() is not None for r in replicas):
            raise AssertionError(f"every replica exited: {what()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting: {what()}")
        time.sleep(0.2)


def children_of(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux: /proc/PID/task/*/children); ``keepwarm run``
    does each job's work in one."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def pid_of_peer(port: int, server_port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` owns the TCP connection from local ``port`` to ``server_port`` on
    127.0.0.1 (Linux: /proc/net/tcp, then each process's socket inodes)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            local, remote = cols[1].rsplit(":", 1)[1], cols[2].rsplit(":", 1)[1]
            if int(local, 16) == port and int(remote, 16) == server_port:
                inode = cols[9]
    if inode is None:
        return None
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def iso_week(now: datetime | None = None) -> str:
    year, week, _ = (now or datetime.now(UTC)).isocalendar()
    return f"{year}-W{week:02d}"


WEEK_ID = re.compile(r"<keepwarm\.(\d{4}-W\d{2})\.")
