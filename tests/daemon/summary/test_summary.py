"""The weekly summary over a fixed store: sections, goldens (text, HTML), JSON and the email.

The store is written through the real writer; the model's answer is a hand-built ``Scored`` so
that the goldens pin the report, not the model. Regenerate the goldens with
``KEEPWARM_UPDATE_GOLDEN=1 pytest tests/daemon/summary/test_summary.py``.
"""

from __future__ import annotations

import email
import json
import os
import re
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest

from daemon.config import Config
from daemon.model.entries import Entry, Scored
from daemon.store.models import Account, Snooze
from daemon.summary.gather import build_summary
from daemon.summary.message import summary_message
from daemon.summary.render import render_html, render_json, render_text
from daemon.sync.meaning import Counterpart, Meaning
from daemon.sync.writer import write_page

AS_OF = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday
GOLDEN = Path(__file__).parents[2] / "golden"
_seq = iter(range(1, 10_000))
GMAIL_FIRST = 0x18C0000000000000


def mail(days: float, address: str, direction: str = "inbound", *, thread: str | None = None,
         direct: bool = True, bulk: bool = False, listed: bool = False, size: int = 1,
         name: str = "") -> Meaning:
    n = next(_seq)
    return Meaning(f"mid:{n}", None, "email", AS_OF - timedelta(days=days), thread, bulk, listed,
                   (Counterpart(address, name, direction, direct),), size)


def meeting(days: float, addresses: list[str]) -> Meaning:
    n = next(_seq)
    return Meaning(f"uid:{n}", None, "meeting", AS_OF - timedelta(days=days), None, False, False,
                   tuple(Counterpart(a, "", "mutual", True) for a in addresses), len(addresses))


def world() -> list[Meaning]:
    """Every case the store-read sections must get right, one address per case."""
    crowd = [f"p{i}@crowd.example" for i in range(30)]
    return [
        mail(5, "ann@acme.example", thread="t1", name="Ann Lee"),  # owed
        mail(200, "bob@acme.example", "outbound"), mail(199, "bob@acme.example"),
        mail(6, "bob@acme.example", thread="t2"),  # answered
        mail(5, "bob@acme.example", "outbound", thread="t2"),
        mail(2, "cat@acme.example", thread="t3"),  # too recent
        mail(6, "dan@acme.example", thread="t4", direct=False),  # only copied
        mail(5, "news@paper.example", thread="t5", bulk=True),  # newsletter
        mail(5, "poster@list.example", thread="t6", listed=True),  # list post
        mail(40, "eve@acme.example", thread="t7"),  # too old to be a to-do
        mail(5, "ign@ignored.example", thread="t8"),  # ignored by [ignore] domains
        mail(5, "zed@acme.example", thread="t9"),  # snoozed
        mail(5, "grp@acme.example", thread="t10", size=20),  # a big group thread
        mail(10, "fay@beta.example", thread="t11", name="Fay Wong"),  # owed, two messages
        mail(8, "fay@beta.example", thread="t11", name="Fay Wong"),
        mail(5, "gus@beta.example", thread="t12"),  # owed at as-of; answered only after it
        mail(-1, "gus@beta.example", "outbound", thread="t12"),
        mail(3, "new@gamma.example", thread="t13", name="Nia New"),  # new: two-way this week
        mail(2, "new@gamma.example", "outbound", thread="t13", name="Nia New"),
        meeting(1, ["met@gamma.example"]),  # new: a first one-to-one meeting
        mail(100, "old@gamma.example"), mail(99, "old@gamma.example", "outbound"),  # not new
        mail(3, "old@gamma.example", thread="t14"), mail(1, "old@gamma.example", "outbound",
                                                         thread="t14"),
        mail(2, "cold@delta.example"),  # inbound only: not a relationship
        meeting(1, crowd),  # a 30-person meeting: nobody new
        mail(3, "ign2@ignored.example"), mail(2, "ign2@ignored.example", "outbound"),
    ]


@pytest.fixture
def filled(store):
    with store.transaction() as s:
        s.add_all([
            Account(name="work", kind="google", status="ok",
                    last_success_at=AS_OF - timedelta(hours=1)),
            Account(name="archive", kind="mbox", status="ok",
                    last_success_at=AS_OF - timedelta(days=10)),
            Account(name="outlook", kind="microsoft", status="needs_reauth",
                    last_error="token expired", last_error_fix="keepwarm auth outlook",
                    last_success_at=AS_OF - timedelta(days=3)),
            Account(name="calendar", kind="ics", status="error",
                    last_error="BadArchive: /srv/cal.ics is missing"),
            Snooze(address="zed@acme.example", until=AS_OF + timedelta(days=20)),
            Snooze(address="ann-old@acme.example", until=AS_OF - timedelta(days=1)),
        ])
        s.flush()
        # Gmail ids are hex; Graph's immutable ids are base64 (quoted in the link)
        write_page(s, 1, [(f"{GMAIL_FIRST + i:x}", m) for i, m in enumerate(world())], [])
        write_page(s, 2, [("mbox:1", mail(420, "vic@old.example"))], [])  # archive: no link
        write_page(s, 3, [("AAMkAD+sam/1=", mail(36, "sam@beta.example", "outbound")),
                          ("AAMkAD+sam/2=", mail(35, "sam@beta.example", thread="t20"))], [])
        write_page(s, 1, [(f"{GMAIL_FIRST + 99:x}", mail(49, "rita@acme.example", "outbound",
                                                         thread="t21"))], [])
    return store


@pytest.fixture
def empty_summary(store):
    return build_summary(store, Config(), AS_OF, scored=Scored(AS_OF, (), (), ()))


def entry(key: str, name: str, group: str, risk: float, shape: str | None, silence: float,
          monthly: tuple[int, ...], reason: str, excluded: str | None = None) -> Entry:
    return Entry(key=key, name=name, addresses=(key,), group=group, risk=risk, score=risk * 3,
                 strength=2.5, rhythm_days=14.0, silence_days=silence,
                 last_at=AS_OF - timedelta(days=silence), last_direction="outbound",
                 last_channel="email", shape=shape, reason=reason, excluded_because=excluded,
                 monthly=monthly, numbers={"rhythm_days": 14.0, "silence_days": silence,
                                           "strength": 2.5, "overdue_ratio": silence / 14})


def scored() -> Scored:
    lose = (
        entry("rita@acme.example", "Rita <Ops> & Co", "losing_touch", 0.71, "they_went_quiet",
              49, (3, 4, 2, 5, 4, 3, 4, 2, 1, 0, 0, 0),
              "You usually talk every ~2 weeks; it has been 7 weeks. Last: you emailed them "
              "on 5 Oct."),
        entry("zed@acme.example", "Zed Snoozed", "losing_touch", 0.6, "mutual_fade", 40,
              (1,) * 12, "Snoozed, must not show."),
        entry("sam@beta.example", "Sam Ortiz", "losing_touch", 0.52, "owe_reply", 35,
              (0, 1, 2, 2, 1, 3, 2, 1, 1, 1, 0, 0),
              "You usually talk every ~3 weeks; it has been 5 weeks. Last: they emailed you on "
              "19 Oct; you have not replied."),
    )
    dormant = (entry("vic@old.example", "Vic Old", "dormant", 0.95, "mutual_fade", 420,
                     (0,) * 12, "Silent for over a year."),)
    ignored = entry("ign@ignored.example", "Ig Nored", "excluded", 0.9, None, 5, (0,) * 12,
                    "", excluded="ignored")
    return Scored(AS_OF, lose, dormant, (*lose, *dormant, ignored))


def config() -> Config:
    return Config.model_validate({
        "me": {"addresses": ["me@acme.example"]},
        "ignore": {"domains": ["ignored.example"]},
        "report": {"top": 10, "dormant": 5, "owed_reply_days": 3, "timezone": "Europe/London"},
        "delivery": {"to": "me@acme.example", "sender": "keepwarm@acme.example"},
    })


@pytest.fixture
def summary(filled):
    return build_summary(filled, config(), AS_OF, scored=scored())


def test_owed_replies_are_direct_unanswered_human_threads(summary) -> None:
    owed = {o.address: o for o in summary.owed}
    assert list(owed) == ["fay@beta.example", "ann@acme.example", "gus@beta.example"]
    assert owed["fay@beta.example"].messages == 2
    assert owed["fay@beta.example"].last_at == AS_OF - timedelta(days=8)
    assert owed["ann@acme.example"].name == "Ann Lee"
    assert owed["ann@acme.example"].waiting_days == pytest.approx(5)


def test_owed_threshold_follows_config(filled) -> None:
    cfg = config().model_copy(update={"report": config().report.model_copy(
        update={"owed_reply_days": 6})})
    summary = build_summary(filled, cfg, AS_OF, scored=scored())
    assert [o.address for o in summary.owed] == ["fay@beta.example"]


def test_new_relationships_are_first_two_way_or_meeting_this_week(summary) -> None:
    assert [(n.address, n.how) for n in summary.new] == [
        ("new@gamma.example", "exchange"), ("met@gamma.example", "meeting")]
    assert summary.new[0].since == AS_OF - timedelta(days=2)


def test_sync_health_reports_problems_and_fixes(summary) -> None:
    health = {h.name: h for h in summary.health}
    assert health["work"].status == "ok" and not health["work"].problem
    assert health["archive"].status == "stale"
    assert health["outlook"].status == "needs_reauth"
    assert health["outlook"].error == "token expired"
    assert health["outlook"].fix == "keepwarm auth outlook"
    assert health["calendar"].status == "error" and health["calendar"].last_success_at is None
    assert {h.name for h in summary.problems} == {"archive", "outlook", "calendar"}


def test_snoozed_and_ignored_never_show(summary) -> None:
    assert [e.key for e in summary.losing_touch] == ["rita@acme.example", "sam@beta.example"]
    text = render_text(summary) + render_html(summary)
    assert "zed@acme.example" not in text and "ignored.example" not in text


def test_top_n_cuts_and_says_so(filled) -> None:
    cfg = config().model_copy(update={"report": config().report.model_copy(update={"top": 1})})
    summary = build_summary(filled, cfg, AS_OF, scored=scored())
    assert len(summary.losing_touch) == 1 and summary.totals["losing_touch"] == 2
    assert "(top 1 of 2)" in render_text(summary)


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KEEPWARM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} changed; if intended, " \
        "regenerate with KEEPWARM_UPDATE_GOLDEN=1"


def test_text_golden(summary) -> None:
    _golden("summary.txt", render_text(summary))


def test_html_golden(summary) -> None:
    _golden("summary.html", render_html(summary))


def test_html_is_escaped_and_self_contained(summary) -> None:
    html = render_html(summary)
    assert "Rita &lt;Ops&gt; &amp; Co" in html and "Rita <Ops>" not in html
    for banned in ("<img", "<script", "http://", "url(", "<link", "<style", "class=", "src="):
        assert banned not in html.lower()
    # the only addresses are the links to conversations, in the user's own web mail
    assert html.count("://") == html.count('<a href="https://mail.google.com/') + html.count(
        '<a href="https://outlook.office.com/') > 0
    assert len(re.findall(r'<td width="10" height="10" bgcolor=', html)) == 12 * 2


def test_eml_is_multipart_alternative(summary) -> None:
    raw = summary_message(summary).as_bytes()
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert msg["Subject"] == "Keepwarm: 2 people you're losing touch with (week 2026-W48)"
    assert msg["To"] == "me@acme.example" and "keepwarm@acme.example" in msg["From"]
    assert msg["Date"] and re.fullmatch(r"<keepwarm\.2026-W48\.[0-9a-f]+@acme\.example>",
                                        msg["Message-ID"])
    html = parts[1].get_content()
    assert "<img" not in html and "<script" not in html
    assert html.count("://") == html.count('<a href="https://')
    assert "Rita" in parts[0].get_content()
    assert summary_message(summary)["Message-ID"] == msg["Message-ID"]  # stable per summary


def test_json_has_every_number(summary) -> None:
    data = json.loads(render_json(summary))
    first = data["losing_touch"][0]
    for key in ("rank", "key", "risk", "score", "strength", "rhythm_days", "silence_days",
                "last_at", "shape", "reason", "monthly", "numbers"):
        assert key in first
    assert first["numbers"]["overdue_ratio"] == pytest.approx(3.5)
    assert data["owed_replies"][0]["waiting_days"] == pytest.approx(8)
    assert data["new_relationships"][0]["how"] == "exchange"
    assert {h["name"] for h in data["sync_health"] if h["problem"]} == {
        "archive", "outlook", "calendar"}
    assert data["totals"] == {"losing_touch": 2, "dormant": 1, "owed": 3, "owed_people": 3,
                              "new": 2, "scored": 5}
    assert "everyone" not in data


def test_json_all_lists_every_scored_contact(summary) -> None:
    data = json.loads(render_json(summary, everyone=True))
    everyone = {e["key"]: e for e in data["everyone"]}
    assert len(everyone) == 5
    assert everyone["ign@ignored.example"]["excluded_because"] == "ignored"
    assert all(isinstance(e["risk"], float) for e in everyone.values())


def test_empty_store_still_renders(store) -> None:
    summary = build_summary(store, Config(), AS_OF, scored=Scored(AS_OF, (), (), ()))
    text = render_text(summary)
    assert "Nobody is slipping away" in text and "keepwarm snooze" in text
    assert summary.subject == "Keepwarm: nobody you're losing touch with (week 2026-W48)"
    assert summary_message(summary).get_content_type() == "multipart/alternative"
