"""The WebDAV/CalDAV requests the calendar source needs, over httpx, with their errors typed.

Discovery (RFC 6764 §5, RFC 5397, RFC 4791 §6.2.1), ``sync-collection`` (RFC 6578) with a
PROPFIND of ETags as the fallback, and ``calendar-multiget`` (RFC 4791 §7.9). Written against
the protocol rather than the ``caldav`` package: that package silently falls back to a full
download with a ``fake-`` token when a sync token is refused (imap-caldav-org-notes §2.4),
where Keepwarm must see the refusal to reconcile, and it hides the HTTP status a 401 needs.

Statuses: 401 is :class:`AuthExpired` (never retried); 429 and 503 are ``Throttled``; other
5xx and network failures are ``Transient``; all retried by the one policy in
:mod:`connectors.retry`. A sync token refused (``DAV:valid-sync-token``, 403/409/412) is
:class:`CursorExpired`.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from xml.etree import ElementTree as ET

import httpx

from connectors import retry
from connectors.errors import AuthExpired, ConnectorError, CursorExpired, Throttled, Transient
from connectors.tls import private_ca

D, C = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
_NS = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"'
MULTIGET_CHUNK = 100  # hrefs per calendar-multiget: one request, bounded answer size


@dataclass(frozen=True, slots=True)
class Calendar:
    """One calendar collection: its absolute path, short id (last segment) and name."""

    path: str
    ident: str
    name: str


@dataclass(frozen=True, slots=True)
class Changes:
    """What a calendar reports: member path -> ETag (changed, or all when ``full``), removed
    member paths, and the sync token to resume from (None: the server offers none)."""

    changed: dict[str, str]
    removed: list[str]
    token: str | None
    full: bool


class DavClient:
    """One authenticated HTTP client for one account's server."""

    def __init__(self, url: str, username: str, password: str, *, ca_file: Path | None,
                 account: str, sleep: Callable[[float], None] | None = None) -> None:
        self.url, self.account, self.username = url, account, username
        verify: ssl.SSLContext | bool = True
        if ca_file:  # a private CA, trusted beside nothing else
            verify = private_ca(Path(ca_file), f"ca_file of [[accounts]] name = {account!r}")
        self.http = httpx.Client(auth=(username, password), verify=verify, timeout=60,
                                 follow_redirects=True)
        self.sleep = sleep
        self.address: str | None = None  # learned at discovery

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, url: str, body: str, depth: str) -> httpx.Response:
        """One request under the retry policy; the answer, whatever its 2xx-4xx status."""
        kwargs = {} if self.sleep is None else {"sleep": self.sleep}
        return retry.call(lambda: self._once(method, url, body, depth),
                          transient=(httpx.TransportError,), **kwargs)

    def _once(self, method: str, url: str, body: str, depth: str) -> httpx.Response:
        try:
            resp = self.http.request(method, urljoin(self.url, url), content=body.encode(),
                                     headers={"Depth": depth,
                                              "Content-Type": "application/xml; charset=utf-8"})
        except httpx.ConnectError as exc:  # an untrusted certificate: no retry will fix it
            if "CERTIFICATE_VERIFY_FAILED" not in str(exc):
                raise
            raise ConnectorError(
                f"the CalDAV server's certificate is not trusted: {exc}",
                hint=f"set ca_file of [[accounts]] name = {self.account!r} to the PEM "
                     "certificate of the CA that signed it") from None
        if resp.status_code == 401:
            raise AuthExpired(
                f"the CalDAV server refused user {self.username!r}'s password",
                hint=f"fix username or the password of [[accounts]] name = {self.account!r} "
                     "(iCloud and Fastmail want an app-specific password), then keepwarm sync")
        if resp.status_code in (429, 503):
            raise Throttled(f"{method} {resp.status_code}",
                            retry_after=retry.parse_retry_after(resp.headers.get("Retry-After")))
        if resp.status_code >= 500 and resp.status_code != 507:
            raise Transient(f"{method} answered {resp.status_code}")
        return resp

    def propfind(self, url: str, props: str, depth: str,
                 missing: tuple[int, ...] = (404, 405)) -> list[ET.Element]:
        """The ``response`` elements of a PROPFIND (empty when it answers a ``missing``
        status)."""
        resp = self.request("PROPFIND", url, f'<d:propfind {_NS}><d:prop>{props}</d:prop>'
                                             "</d:propfind>", depth)
        if resp.status_code in missing:
            return []
        return _responses(resp, "PROPFIND")

    def calendars(self) -> list[Calendar]:
        """Every calendar of the user: principal, then home set, then its collections."""
        home = self._home(self.url) or self._home("/.well-known/caldav")
        if home is None:
            raise ConnectorError(f"no CalDAV calendars found at {self.url}",
                                 hint=f"set url of [[accounts]] name = {self.account!r} to "
                                      "the server's CalDAV address (e.g. https://caldav."
                                      "icloud.com or https://host/remote.php/dav)")
        found = []
        for r in self.propfind(home, "<d:resourcetype/><d:displayname/>"
                                     "<c:supported-calendar-component-set/>", "1"):
            comps = [c.get("name") for c in r.iter(f"{C}comp")]
            if r.find(f".//{D}resourcetype/{C}calendar") is None or (
                    comps and "VEVENT" not in comps):
                continue
            path = _path(r)
            ident = unquote(path.rstrip("/").rpartition("/")[2])
            found.append(Calendar(path, ident, _text(r, f".//{D}displayname") or ident))
        return sorted(found, key=lambda c: c.path)

    def _home(self, start: str) -> str | None:
        """The calendar-home-set reached from ``start``, None when none is found there."""
        # a start the user may not read (403) is no principal either: try the next one
        got = self.propfind(start, "<d:current-user-principal/>", "0", (403, 404, 405))
        principal = next((h.text for r in got for h in r.iterfind(
            f".//{D}current-user-principal/{D}href") if h.text), None)
        if principal is None:
            return None
        got = self.propfind(principal, "<c:calendar-home-set/><c:calendar-user-address-set/>",
                            "0")
        # the user's own address on invitations (RFC 6638), which tells "me" among attendees
        self.address = next((h.text.strip()[7:] for r in got for h in r.iterfind(
            f".//{C}calendar-user-address-set/{D}href") if h.text
            and h.text.strip().lower().startswith("mailto:") and "@" in h.text), None)
        return next((h.text.strip() for r in got for h in r.iterfind(
            f".//{C}calendar-home-set/{D}href") if h.text), None)

    def changes(self, cal: Calendar, token: str | None) -> Changes:
        """Members changed and removed since ``token`` (RFC 6578), or every member by ETag
        when the server has no sync-collection (then ``token`` is None)."""
        changed: dict[str, str] = {}
        removed: list[str] = []
        while True:
            body = (f'<d:sync-collection {_NS}><d:sync-token>{_esc(token or "")}</d:sync-token>'
                    "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop>"
                    "</d:sync-collection>")
            resp = self.request("REPORT", cal.path, body, "0")
            if b"valid-sync-token" in resp.content and resp.status_code in (403, 409, 412):
                raise CursorExpired(f"the server no longer accepts the sync token of {cal.ident}")
            if resp.status_code in (400, 403, 405, 501) and not token:  # not offered here
                return Changes(self._etags(cal), [], None, True)
            truncated = False
            for r in _responses(resp, "REPORT sync-collection"):
                path, status = _path(r), _status(r)
                if path.rstrip("/") == cal.path.rstrip("/"):
                    truncated = truncated or status == 507  # RFC 6578 §3.6: ask again
                elif status == 404:
                    removed.append(path)
                elif not path.endswith("/"):  # iCloud lists the collection itself
                    changed[path] = _text(r, f".//{D}getetag")
            full = not token
            token = _text(ET.fromstring(resp.content), f"{D}sync-token") or None
            if not truncated or token is None:
                return Changes(changed, removed, token, full)

    def _etags(self, cal: Calendar) -> dict[str, str]:
        """Member path -> ETag of every member (the fallback without sync-collection)."""
        return {_path(r): _text(r, f".//{D}getetag")
                for r in self.propfind(cal.path, "<d:getetag/>", "1")
                if not _path(r).endswith("/")}

    def fetch(self, cal: Calendar, paths: list[str]) -> dict[str, tuple[str, bytes] | None]:
        """Unquoted path -> (ETag, iCalendar data) by multiget; None for a member the server
        says is gone (404). A member it says nothing about is left out."""
        out: dict[str, tuple[str, bytes] | None] = {}
        for i in range(0, len(paths), MULTIGET_CHUNK):
            hrefs = "".join(f"<d:href>{_esc(p)}</d:href>" for p in paths[i:i + MULTIGET_CHUNK])
            body = (f"<c:calendar-multiget {_NS}><d:prop><d:getetag/><c:calendar-data/>"
                    f"</d:prop>{hrefs}</c:calendar-multiget>")
            for r in _responses(self.request("REPORT", cal.path, body, "1"), "multiget"):
                data = r.find(f".//{C}calendar-data")
                # keyed unquoted: a server may quote a name otherwise than it was asked
                if _status(r) == 404:
                    out[unquote(_path(r))] = None
                elif _status(r) in (200, None) and data is not None and data.text:
                    out[unquote(_path(r))] = (_text(r, f".//{D}getetag"),
                                              data.text.encode("utf-8"))
        return out


def _responses(resp: httpx.Response, what: str) -> list[ET.Element]:
    if resp.status_code not in (207, 200):
        raise ConnectorError(f"{what} answered {resp.status_code}",
                             hint="check that url names a CalDAV server")
    try:
        return list(ET.fromstring(resp.content).iter(f"{D}response"))
    except ET.ParseError as exc:
        raise Transient(f"{what}: unreadable XML answer") from exc


def _path(r: ET.Element) -> str:
    """The response's href as an absolute, unquoted-for-comparison path."""
    href = (_text(r, f"{D}href") or "").strip()
    return urlsplit(href).path or href


def _status(r: ET.Element) -> int | None:
    line = r.find(f"{D}status")
    if line is None or not line.text:
        return None
    parts = line.text.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def _text(node: ET.Element, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
