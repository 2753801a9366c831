"""A throwaway Radicale CalDAV server on a free loopback port, for the CalDAV tests.

Started as a subprocess with htpasswd (plain) auth and a temporary storage folder; ready when
it logs that it listens. :func:`start` returns None when Radicale is not installed, so the
tests skip with that reason (CI installs it through the ``dev`` extra).
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from connectors.caldav.dav import DavClient
from connectors.caldav.source import CalDavSource

USER, PASSWORD = "alice", "s3cret-pw"


@dataclass
class Radicale:
    """A running server: its base URL and how to put things on it as ``alice``."""

    url: str
    proc: subprocess.Popen[str]
    log: list[str]
    cert: Path | None = None

    def http(self, password: str = PASSWORD) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(USER, password), timeout=120,
                            verify=ssl.create_default_context(cafile=str(self.cert))
                            if self.cert else True)

    def put_calendar(self, name: str, ics: bytes) -> None:
        """Create or replace the whole calendar ``name`` from one .ics text (one member
        per UID, overrides kept with their master: Radicale's whole-collection PUT)."""
        with self.http() as client:
            client.delete(f"/{USER}/{name}/")
            resp = client.put(f"/{USER}/{name}/", content=ics,
                              headers={"Content-Type": "text/calendar"})
            resp.raise_for_status()

    def make_calendar(self, name: str) -> None:
        """An empty calendar ``name`` (MKCALENDAR)."""
        with self.http() as client:
            client.request("MKCALENDAR", f"/{USER}/{name}/").raise_for_status()

    def put_event(self, calendar: str, member: str, ics: str) -> None:
        with self.http() as client:
            client.put(f"/{USER}/{calendar}/{member}", content=ics.encode(),
                       headers={"Content-Type": "text/calendar"}).raise_for_status()

    def delete(self, path: str) -> None:
        with self.http() as client:
            client.delete(f"/{USER}/{path}").raise_for_status()

    def stop(self) -> None:
        self.proc.kill()  # nothing of it is kept
        self.proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed(root: Path) -> Path | None:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key beside it, as
    ``root/cert.pem`` and ``root/key.pem``; None when ``openssl`` is missing."""
    if shutil.which("openssl") is None:
        return None
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
                   check=True, capture_output=True)
    return root / "cert.pem"


def start(root: Path, cert: Path | None = None) -> Radicale | None:
    """A Radicale serving ``root`` (over TLS with ``cert`` and the key beside it); None when
    the package is missing."""
    if importlib.util.find_spec("radicale") is None:
        return None
    tls = (["--ssl", "--certificate", str(cert), "--key", str(cert.parent / "key.pem")]
           if cert else [])
    (root / "users").write_text(f"{USER}:{PASSWORD}\n")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(root / "users"),
         "--auth-htpasswd-encryption", "plain", "--auth-delay", "0",
         "--storage-filesystem-folder", str(root / "collections"),
         "--logging-level", "info", *tls],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    log: list[str] = []
    assert proc.stderr is not None
    for line in proc.stderr:  # blocks until Radicale says it listens, or exits
        log.append(line)
        if "Listening on" in line:
            break
    else:
        raise RuntimeError("radicale did not start:\n" + "".join(log[-20:]))
    stream = proc.stderr
    threading.Thread(target=lambda: log.extend(stream), daemon=True).start()  # never blocks
    return Radicale(f"{'https' if cert else 'http'}://127.0.0.1:{port}", proc, log, cert)


NOW = datetime(2024, 3, 1, tzinfo=UTC)


def vevent(uid: str, start: datetime, extra: str = "") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//keepwarm tests//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n"
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
            f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
            "ORGANIZER;CN=Bob:mailto:bob@x.org\r\n"
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@y.org\r\n"
            f"{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")


def source(server: Radicale, calendar: str, page_size: int = 1000,
           password: str = PASSWORD, now: datetime = NOW) -> CalDavSource:
    """A source over one calendar of the test server, with a frozen clock."""
    return CalDavSource(
        "t/calendar",
        lambda: DavClient(server.url, USER, password, ca_file=None, account="t"),
        (calendar,), 60, lambda: now, page_size)


def fresh(server: Radicale) -> str:
    name = f"c-{uuid.uuid4().hex[:10]}"
    server.make_calendar(name)
    return name
