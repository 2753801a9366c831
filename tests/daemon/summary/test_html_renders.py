"""The summary's HTML keeps every constraint of :mod:`helpers.email_html` (what Gmail, Outlook
and Apple Mail render), and its text part carries the same links as plain URLs."""

from __future__ import annotations

import re

import pytest

from daemon.summary.render import render_html, render_text

from helpers.email_html import CONSTRAINTS, contrast, violations


def test_the_summary_keeps_every_email_constraint(summary) -> None:
    found = violations(render_html(summary))
    assert found == [], "\n".join(f"{rule}: {what}" for rule, what in found)


def test_the_empty_summary_keeps_them_too(empty_summary) -> None:
    found = violations(render_html(empty_summary))
    assert found == [], "\n".join(f"{rule}: {what}" for rule, what in found)


@pytest.mark.parametrize(("html", "rule"), [
    ('<div style="color:#000;background-color:#fff">x</div>', "no-element"),
    ('<table><tr><td class="x">', "no-attribute"),
    ('<table><tr><td style="white-space:nowrap">', "css"),
    ('<body style="margin:0">', "body-style"),
    ('<a href="http://x.example/" style="color:#00f;text-decoration:underline">x</a>', "links"),
    ('<a href="https://x.example/">x</a>', "links"),
    ('<td style="background-color:#ffffff">', "bgcolor"),
    ('<td style="color:#777777" bgcolor="#ffffff">grey</td>', "palette"),
    ("<td>no colours</td>", "palette"),
    ('<table width="600"><tr><td>', "fluid"),
])
def test_each_constraint_is_checked(html, rule) -> None:
    assert rule in {r for r, _ in violations(html)}
    assert rule in {r for r, _ in CONSTRAINTS}


def test_contrast_is_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") < 4.5 < contrast("#6a737d", "#ffffff")


def test_text_part_has_the_same_links(summary) -> None:
    html_links = re.findall(r'<a href="([^"]+)"', render_html(summary))
    text_links = re.findall(r"https://\S+", render_text(summary))
    unescaped = [h.replace("&amp;", "&") for h in html_links]
    assert unescaped and sorted(set(unescaped)) == sorted(set(text_links))


def test_every_optional_part_keeps_the_constraints(summary) -> None:
    """Actions, mailed-command confirmations and the own-silence note (issues 16 and 11) came
    from other branches than the constraints: rendered together they keep them too."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from daemon.model.entries import Action
    from daemon.model.quiet import OwnSilence
    from daemon.summary.actions import Confirmation

    act = Action("snooze4w", "snooze 4 weeks", "me+kw.snooze.4w.abcd@example.com",
                 "mailto:me+kw.snooze.4w.abcd@example.com?subject=Keepwarm%3A%20Snooze")
    when = datetime(2025, 3, 3, tzinfo=UTC)
    done = Confirmation("snooze4w", "nora@example.org", when, when, when,
                        "Snoozed Nora until 31 Mar, from your message of 3 Mar.",
                        "keepwarm unsnooze nora@example.org")
    full = replace(summary, losing_touch=tuple(replace(e, actions=(act,))
                                               for e in summary.losing_touch),
                   dormant=tuple(replace(e, actions=(act,)) for e in summary.dormant),
                   done=(done,), own_silence=OwnSilence(days=50.0, received=12))
    html = render_html(full)
    assert "mailto:" in html and "Done from your mail" in html
    found = violations(html)
    assert found == [], "\n".join(f"{rule}: {what}" for rule, what in found)
