"""A real, throwaway Dovecot on loopback for the IMAP connector's tests.

One server per test session, in a temporary folder, as the current user: a passwd-file user,
maildirs under the folder, implicit TLS (a test CA from :mod:`graph_tls`) and plaintext IMAP,
which the config allows on loopback. Special-use folders (RFC 6154) as Debian ships them.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

from fakes.graph_tls import make_tls

USER, PASSWORD = "kim@example.org", "correct horse"
USERS = 400


def user_name(n: int) -> str:
    return USER if n == 0 else f"u{n}@example.org"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/server.pem
ssl_key = <{root}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 0
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {plain}
  }}
  inet_listener imaps {{
    port = {tls}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = create
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = create
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = create
  }}
  mailbox "Sent Messages" {{
    special_use = \\Sent
    auto = create
  }}
}}
"""


@dataclass
class Dovecot:
    """A running server: its ports, login, and the CA that signed its certificate."""

    root: Path
    plain_port: int
    tls_port: int
    ca_file: Path
    process: subprocess.Popen[bytes]
    user: str = USER
    password: str = PASSWORD
    used: int = 0

    def add_user(self) -> Mailbox:
        """A user no test has used yet (written at start: Dovecot may not notice a
        passwd-file changed within the same second)."""
        self.used += 1
        if self.used >= USERS:
            raise RuntimeError(f"more than {USERS} mailboxes in one session")
        return Mailbox(self, user_name(self.used))

    def kick(self, user: str) -> None:
        """Drop every connection of ``user`` (``doveadm kick``), as a server restart would."""
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        subprocess.run([doveadm, "-c", str(self.root / "dovecot.conf"), "kick", user],
                       check=True, capture_output=True)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@dataclass
class Mailbox:
    """One user of a running server, with a client that writes test mail (APPEND, EXPUNGE)."""

    server: Dovecot
    user: str

    def client(self) -> IMAPClient:
        context = ssl.create_default_context(cafile=str(self.server.ca_file))
        client = IMAPClient("127.0.0.1", port=self.server.tls_port, ssl_context=context)
        client.login(self.user, self.server.password)
        return client

    def append(self, folder: str, messages: list[bytes], flags: tuple[bytes, ...] = (),
               when: list[dt.datetime | None] | None = None) -> list[int]:
        """Add ``messages`` to ``folder`` (created when missing); their UIDs."""
        with self.client() as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            uids = []
            for msg, at in zip(messages, when or [None] * len(messages), strict=True):
                answer = c.append(folder, msg, flags, at)
                uids.append(int(answer.split(b"]")[0].split()[-1]))  # APPENDUID uv uid
            return uids

    def delete(self, folder: str, uids: list[int]) -> None:
        """Expunge ``uids`` from ``folder``."""
        with self.client() as c:
            c.select_folder(folder)
            c.delete_messages(uids)
            c.uid_expunge(uids)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Block until ``port`` accepts connections (polling a socket, not sleeping blindly)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited: {log.read_text() if log.exists() else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)  # waiting for a real server process to bind, not a test delay
    raise RuntimeError("dovecot did not start listening")


def start(root: Path, capability: str | None = None) -> Dovecot:
    """Write a config under ``root`` and start ``dovecot -F`` with it; ``capability``, when
    given, is the whole CAPABILITY list it announces after login (to hide extensions)."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    ca_file, _ = make_tls(root)
    plain, tls = free_port(), free_port()
    uid, gid = _mail_owner(root)
    me = pwd.getpwuid(os.getuid()).pw_name
    root_run = os.getuid() == 0  # only root can switch to Dovecot's own unprivileged users
    internal = "dovecot" if root_run and _exists("dovecot") else me
    login = "dovenull" if root_run and _exists("dovenull") else me
    (root / "passwd").write_text("".join(f"{user_name(n)}:{{PLAIN}}{PASSWORD}\n"
                                         for n in range(USERS)))
    (root / "dovecot.conf").write_text(CONFIG.format(
        root=root, plain=plain, tls=tls, uid=uid, gid=gid,
        login_user=login, internal_user=internal)
        + (f"imap_capability = {capability}\n" if capability else ""))
    process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_listening(tls, process, root / "dovecot.log")
    return Dovecot(root, plain, tls, ca_file, process)


def _mail_owner(root: Path) -> tuple[int, int]:
    """Who mail is stored as: the current user, or ``nobody`` for root (Dovecot refuses to
    access mail as uid 0), which then needs to reach and write ``root/mail``."""
    (root / "mail").mkdir()
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    nobody = pwd.getpwnam("nobody")
    root.chmod(0o755)
    os.chown(root / "mail", nobody.pw_uid, nobody.pw_gid)
    return nobody.pw_uid, nobody.pw_gid


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def available() -> bool:
    """Whether a dovecot binary is installed."""
    return bool(shutil.which("dovecot") or Path("/usr/sbin/dovecot").exists())
