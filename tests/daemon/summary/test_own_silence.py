"""Your own silence is not everyone's fade (issue 11): when the store has no mail from you for six
weeks or more, sync health says so and the losing-touch list keeps only people who went quiet
before you did; with no mail from you at all, it lists nobody and says why."""

from __future__ import annotations

import json

from daemon.config import Config
from daemon.summary.gather import build_summary
from daemon.summary.render import render_html, render_json, render_text

from helpers.model import AS_OF, every, store_of, touch


def config() -> Config:
    return Config.model_validate({"me": {"addresses": ["me@acme.example"]}})


def weekly_until(address: str, stop: float) -> list:  # type: ignore[type-arg]
    """A two-way weekly tie for a year, its last exchange ``stop`` days before AS_OF."""
    return every(address, 7, 52, start=stop, directions=("outbound", "inbound"))


def test_outbound_stopping_weeks_ago_is_said_and_does_not_list_everyone(store) -> None:  # type: ignore[no-untyped-def]
    # you stopped writing 8 weeks ago: your weekly correspondents stopped with you ...
    touches = [t for i in range(6) for t in weekly_until(f"p{i}@acme.example", 56)]
    touches += weekly_until("early@acme.example", 90)  # ... but this one went quiet before
    touches += [touch("news@acme.example", d, "inbound") for d in (1, 8, 15, 30)]  # mail flows
    summary = build_summary(store_of(store, touches), config(), AS_OF)
    assert summary.own_silence is not None and summary.own_silence.days == 56
    assert [e.key for e in summary.losing_touch] == ["early@acme.example"]
    text = render_text(summary)
    assert "No mail from you in 8 weeks: is your Sent folder included?" in text
    assert "Showing only people who went quiet before you did" in text
    assert "No mail from you in 8 weeks" in render_html(summary)
    data = json.loads(render_json(summary))
    assert data["own_silence"]["days"] == 56 and data["own_silence"]["received"] == 4


def test_a_store_with_no_outbound_mail_at_all(store) -> None:  # type: ignore[no-untyped-def]
    touches = [touch(f"p{i}@acme.example", d, "inbound") for i in range(5)
               for d in range(3, 300, 9)]
    summary = build_summary(store_of(store, touches), config(), AS_OF)
    assert summary.own_silence is not None and summary.own_silence.days is None
    assert summary.losing_touch == () and summary.dormant == ()
    text = render_text(summary)
    assert "No mail from you at all: is your Sent folder included?" in text
    assert "Not shown: the store holds no mail from you" in text


def test_recent_outbound_mail_changes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    touches = [t for i in range(3) for t in weekly_until(f"p{i}@acme.example", 56)]
    touches.append(touch("other@acme.example", 10, "outbound"))  # you wrote 10 days ago
    summary = build_summary(store_of(store, touches), config(), AS_OF)
    assert summary.own_silence is None
    assert len(summary.losing_touch) == 3
    assert "Sent folder" not in render_text(summary)
