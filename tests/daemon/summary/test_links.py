"""Links to the last conversation: the URL each provider's web mail opens, on the entries the
summary shows and in its JSON; nothing for archives."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_summary import GMAIL_FIRST

from connectors.settings import MicrosoftAccount
from daemon.summary.links import gmail_link, outlook_link
from daemon.summary.render import render_json

GMAIL_U0 = "https://mail.google.com/mail/u/0/#all/"
OUTLOOK = "https://outlook.office.com/mail/inbox/id/"


def ms(**kw: str) -> MicrosoftAccount:
    return MicrosoftAccount.model_validate({"kind": "microsoft", "name": "o", "client_id": "x",
                                            **kw})


def test_gmail_link_names_the_account_and_the_conversation() -> None:
    assert gmail_link("18c0a1b2c3d4e5f6", "me@acme.example") == (
        "https://mail.google.com/mail/u/me@acme.example/#all/18c0a1b2c3d4e5f6")
    assert gmail_link("18c0a1b2c3d4e5f6", None) == GMAIL_U0 + "18c0a1b2c3d4e5f6"
    assert gmail_link("mbox:12", None) is None  # not an id Gmail gave


@pytest.mark.parametrize(("settings", "base"), [
    ({}, OUTLOOK),
    ({"address": "me@contoso.example"}, OUTLOOK),
    ({"address": "someone@hotmail.co.uk"}, "https://outlook.live.com/mail/0/inbox/id/"),
    ({"tenant": "consumers"}, "https://outlook.live.com/mail/0/inbox/id/"),
    ({"cloud": "usgov"}, "https://outlook.office365.us/mail/inbox/id/"),
])
def test_outlook_link_uses_the_accounts_host_and_quotes_the_id(settings, base) -> None:
    assert outlook_link("AAMk+a/b=", ms(**settings)) == base + "AAMk%2Ba%2Fb%3D"


def test_outlook_link_refuses_an_id_cut_to_fit() -> None:
    assert outlook_link("AAMk#0123abcd", None) is None


@given(st.text(min_size=1).filter(lambda t: "#" not in t))
def test_any_outlook_id_is_one_quoted_path_segment(message_id: str) -> None:
    link = outlook_link(message_id, None)
    assert link is not None
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.query, parts.fragment) == (
        "https", "outlook.office.com", "", "")
    segment = parts.path.removeprefix("/mail/inbox/id/")
    assert re.fullmatch(r"[A-Za-z0-9_.~%-]+", segment) and unquote(segment) == message_id


def test_entries_link_to_the_newest_linkable_email(summary) -> None:
    links = {e.key: e.link for e in (*summary.losing_touch, *summary.dormant)}
    assert links == {
        "rita@acme.example": f"{GMAIL_U0}{GMAIL_FIRST + 99:x}",
        "sam@beta.example": OUTLOOK + "AAMkAD%2Bsam%2F2%3D",  # the newer of sam's two
        "vic@old.example": None,  # archive only
    }


def test_owed_replies_link_to_their_thread(summary) -> None:
    owed = {o.address: o for o in summary.owed_people}
    fay = owed["fay@beta.example"]
    assert fay.link == fay.threads[0].link
    assert fay.link is not None and fay.link.startswith(GMAIL_U0)
    assert all(o.link for o in summary.owed)


def test_json_carries_the_links(summary) -> None:
    data = json.loads(render_json(summary))
    assert data["losing_touch"][0]["link"] == f"{GMAIL_U0}{GMAIL_FIRST + 99:x}"
    assert data["dormant"][0]["link"] is None
    assert all(o["link"] for o in data["owed_people"])
