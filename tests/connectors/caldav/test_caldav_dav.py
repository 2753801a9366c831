"""The protocol layer on scripted answers: statuses become the typed errors the engine knows,
a truncated sync-collection is asked again, and a damaged cursor is an expired one."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.caldav.dav import Calendar, DavClient
from connectors.caldav.source import dump, load
from connectors.errors import AuthExpired, CursorExpired, SourceUnavailable

CAL = Calendar("/u/cal/", "cal", "Cal")


def client(handler: Callable[[httpx.Request], httpx.Response], waits: list[float]) -> DavClient:
    dav = DavClient("https://dav.test/", "u", "pw", ca_file=None, account="a",
                    sleep=waits.append)
    dav.http = httpx.Client(transport=httpx.MockTransport(handler))
    return dav


def multistatus(*responses: str, token: str = "") -> httpx.Response:
    body = "".join(f"<d:response>{r}</d:response>" for r in responses)
    sync = f"<d:sync-token>{token}</d:sync-token>" if token else ""
    return httpx.Response(207, content=f'<d:multistatus xmlns:d="DAV:">{body}{sync}'
                                       "</d:multistatus>".encode())


def member(href: str, etag: str) -> str:
    return (f"<d:href>{href}</d:href><d:propstat><d:prop><d:getetag>{etag}</d:getetag>"
            "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>")


def test_a_truncated_sync_is_asked_again_and_the_collection_itself_dropped() -> None:
    asked: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.content)
        if b"<d:sync-token>t1<" in request.content:
            return multistatus(member("/u/cal/b.ics", '"2"'),
                               "<d:href>/u/cal/gone.ics</d:href>"
                               "<d:status>HTTP/1.1 404 Not Found</d:status>", token="t2")
        return multistatus(member("/u/cal/a.ics", '"1"'), member("/u/cal/", '"c"'),
                           "<d:href>/u/cal/</d:href>"
                           "<d:status>HTTP/1.1 507 Insufficient Storage</d:status>", token="t1")

    changes = client(handler, []).changes(CAL, "t0")
    assert changes.changed == {"/u/cal/a.ics": '"1"', "/u/cal/b.ics": '"2"'}
    assert (changes.removed, changes.token, len(asked)) == (["/u/cal/gone.ics"], "t2", 2)


@pytest.mark.parametrize("status", [403, 409, 412])
def test_a_refused_token_is_an_expired_cursor(status: int) -> None:
    body = b'<d:error xmlns:d="DAV:"><d:valid-sync-token/></d:error>'
    dav = client(lambda r: httpx.Response(status, content=body), [])
    with pytest.raises(CursorExpired):
        dav.changes(CAL, "old")


def test_throttling_waits_as_told_and_a_401_is_never_retried() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), multistatus(token="t")])
    waits: list[float] = []
    assert client(lambda r: next(answers), waits).changes(CAL, "t0").token == "t"
    assert waits == [7.0]
    calls: list[int] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(401)

    with pytest.raises(AuthExpired) as info:
        client(refuse, waits).calendars()
    assert len(calls) == 1 and "app-specific password" in info.value.hint


def test_a_server_that_keeps_failing_is_unavailable_in_the_end() -> None:
    waits: list[float] = []
    with pytest.raises(SourceUnavailable):
        client(lambda r: httpx.Response(502), waits).changes(CAL, "t0")
    assert len(waits) == 7  # eight attempts, no real sleep


@given(st.dictionaries(st.text(max_size=5), st.lists(st.text(max_size=8), max_size=3)))
def test_a_cursor_round_trips(state: dict[str, list[str]]) -> None:
    assert load(dump(state)) == state


@given(st.text(max_size=40))
def test_a_damaged_cursor_is_an_expired_one(text: str) -> None:
    try:
        assert isinstance(load(text), dict)
    except CursorExpired:
        pass


def test_a_dropped_connection_is_retried() -> None:
    answers: list[httpx.Response | Exception] = [
        httpx.RemoteProtocolError("server disconnected"), multistatus(token="t")]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    waits: list[float] = []
    assert client(handler, waits).changes(CAL, "t0").token == "t"
    assert len(waits) == 1


def test_discovery_finds_event_calendars_and_the_users_address() -> None:
    def prop(href: str, inner: str) -> str:
        return (f"<d:href>{href}</d:href><d:propstat><d:prop>{inner}</d:prop>"
                "<d:status>HTTP/1.1 200 OK</d:status></d:propstat>")

    cal = "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>"

    def handler(request: httpx.Request) -> httpx.Response:
        body, path = request.content, request.url.path
        if b"current-user-principal" in body:
            answer = prop(path, "<d:current-user-principal><d:href>/p/me/</d:href>"
                                "</d:current-user-principal>")
        elif b"calendar-home-set" in body:
            answer = prop("/p/me/", "<c:calendar-home-set><d:href>/h/</d:href>"
                                    "</c:calendar-home-set><c:calendar-user-address-set>"
                                    "<d:href>/p/me/</d:href><d:href>mailto:me@x.org</d:href>"
                                    "</c:calendar-user-address-set>")
        else:
            answer = "</d:response><d:response>".join([
                prop("/h/", "<d:resourcetype><d:collection/></d:resourcetype>"),
                prop("/h/work/", f"{cal}<d:displayname>Work</d:displayname>"),
                prop("/h/tasks/", f"{cal}<c:supported-calendar-component-set>"
                                  '<c:comp name="VTODO"/></c:supported-calendar-component-set>')])
        return httpx.Response(207, content=(
            '<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
            f"<d:response>{answer}</d:response></d:multistatus>").encode())

    dav = client(handler, [])
    assert dav.calendars() == [Calendar("/h/work/", "work", "Work")]
    assert dav.address == "me@x.org"
