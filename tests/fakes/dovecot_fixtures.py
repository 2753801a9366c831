"""Fixtures of the IMAP tests: a real Dovecot (skipped when it is not installed), one
mailbox per test, seeded by APPEND."""

from __future__ import annotations

import shutil
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.settings import ImapAccount

from fakes import dovecot
from helpers import servers

PASSWORD_ENV = "KW_TEST_IMAP_PASSWORD"


@pytest.fixture(scope="session")
def server() -> Iterator[dovecot.Dovecot]:
    """One Dovecot for the session, in a folder of its own (it must be reachable by the mail
    user when the tests run as root)."""
    if not dovecot.available():
        servers.missing("dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="kw-dovecot-"))
    server = dovecot.start(root)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


# What Dovecot announces, less the extensions a flavour hides (imap_capability replaces it).
BASE = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT NAMESPACE UIDPLUS UNSELECT "
        "CHILDREN LIST-EXTENDED LIST-STATUS MOVE SPECIAL-USE LITERAL+")
FLAVOURS = {"qresync": None, "condstore": f"{BASE} CONDSTORE", "plain": BASE}


@pytest.fixture(scope="session")
def servers_by_flavour(server: dovecot.Dovecot) -> Iterator[dict[str, dovecot.Dovecot]]:
    """The session's server (QRESYNC and CONDSTORE) and, started on first use, one hiding
    QRESYNC and one hiding both."""
    started: dict[str, dovecot.Dovecot] = {"qresync": server}
    roots = []
    for flavour in ("condstore", "plain"):
        roots.append(Path(tempfile.mkdtemp(prefix=f"kw-dovecot-{flavour}-")))
        started[flavour] = dovecot.start(roots[-1], FLAVOURS[flavour])
    yield started
    for flavour, root in zip(("condstore", "plain"), roots, strict=True):
        started[flavour].stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=list(FLAVOURS))
def any_mailbox(request: pytest.FixtureRequest, servers_by_flavour: dict[str, dovecot.Dovecot],
                monkeypatch: pytest.MonkeyPatch) -> dovecot.Mailbox:
    """A new, empty user of each flavour of server in turn (QRESYNC, CONDSTORE, neither)."""
    server = servers_by_flavour[request.param]
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    return server.add_user()


@pytest.fixture
def mailbox(server: dovecot.Dovecot, monkeypatch: pytest.MonkeyPatch) -> dovecot.Mailbox:
    """A new, empty user of the server, and the password in the environment."""
    monkeypatch.setenv(PASSWORD_ENV, server.password)
    return server.add_user()


def account(box: dovecot.Mailbox, **settings: object) -> ImapAccount:
    """Settings of an ``imap`` account reading ``box`` over implicit TLS."""
    values: dict[str, object] = {
        "name": "work", "kind": "imap", "host": "127.0.0.1", "port": box.server.tls_port,
        "username": box.user, "password_env": PASSWORD_ENV, "ca_file": box.server.ca_file}
    values.update(settings)
    return ImapAccount.model_validate(values)


def tls(box: dovecot.Mailbox) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(box.server.ca_file))


ENRON = Path("/work/shared/data/enron/allen-p")


@pytest.fixture(scope="session")
def enron(server: dovecot.Dovecot) -> dovecot.Mailbox:
    """A mailbox of a real Enron owner's mail: inbox (66) and 200 sent messages, each
    APPENDed with its Date as INTERNALDATE, as a migration tool would."""
    import mailbox as mbox
    from email.utils import parsedate_to_datetime

    if not ENRON.exists():
        pytest.skip(f"{ENRON} is not here")
    box = server.add_user()
    for folder, name, limit in (("INBOX", "inbox.mbox", 66), ("Sent Messages", "sent.mbox", 200)):
        raw = [m.as_bytes().replace(b"\n", b"\r\n")
               for m in list(mbox.mbox(str(ENRON / name)))[:limit]]
        when = [parsedate_to_datetime(m.split(b"\r\nDate: ", 1)[1].split(b"\r\n")[0].decode())
                for m in raw]
        box.append(folder, raw, when=list(when))
    return box
