"""The model's units: rhythm robustness, exclusions, shapes, strength, reason sentences, and
``score()`` over a real store (identity groups, snoozes, ignore rules)."""

from __future__ import annotations

from datetime import timedelta

from daemon.config import Config, IgnoreSettings, Person, ReportSettings
from daemon.model import reasons
from daemon.model.assess import evaluate
from daemon.model.frame import seconds
from daemon.model.hidden import Hidden
from daemon.model.rank import score, score_frame
from daemon.model.rhythm import aggregate
from daemon.store.models import Snooze

from helpers.model import AS_OF, every, frame_of, store_of, touch


def entry(scored, key):  # type: ignore[no-untyped-def]
    return next(e for e in scored.everyone if e.key == key)


def test_quarterly_rhythm_is_not_overdue_after_a_month() -> None:
    touches = every("q@x.com", 91, 8, start=30)
    e = entry(score_frame(frame_of(touches), AS_OF), "q@x.com")
    assert e.group == "steady"
    assert 60 < e.rhythm_days < 95  # 7 gaps of 91 days, shrunk a little toward 30
    assert e.score == 0.0


def test_bursts_do_not_make_a_quarterly_tie_look_daily() -> None:
    touches = []
    for q in range(8):  # each quarter: a burst of mails on 5 consecutive days
        touches += every("b@x.com", 1, 5, start=30 + q * 91)
    agg = aggregate(frame_of(touches), seconds(AS_OF))
    assert agg.rhythm[0] > 45  # the length-weighted median ignores the burst's 1-day gaps
    e = entry(score_frame(frame_of(touches), AS_OF), "b@x.com")
    assert e.group == "steady"


def test_weekly_tie_silent_for_seven_weeks_is_losing_touch_with_a_sentence() -> None:
    touches = every("w@x.com", 7, 30, start=49, directions=("inbound", "outbound"))
    touches.append(touch("w@x.com", 49, "outbound"))
    e = entry(score_frame(frame_of(touches), AS_OF), "w@x.com")
    assert e.group == "losing_touch"
    assert e.shape == "mutual_fade"  # your mail answered theirs the same day
    assert e.reason == ("You usually talk every week; it has been 7 weeks. "
                        "Last: you emailed them on 5 Oct.")
    assert e.numbers["silence_days"] == 49
    assert 0 < e.risk < 1 and e.score > 0


def test_quarterly_and_dormant_groups() -> None:
    weekly_long_ago = every("old@x.com", 7, 20, start=300)
    scored = score_frame(frame_of(weekly_long_ago), AS_OF)
    e = entry(scored, "old@x.com")
    assert e.group == "dormant" and scored.dormant == (e,)
    assert e.reason.startswith("You used to talk every week; silent for 10 months.")


def test_exclusions() -> None:
    touches = (
        every("in@x.com", 7, 10, start=60, directions=("inbound",))
        + [touch("bot@x.com", d, "inbound", noise=True) for d in range(60, 200, 7)]
        + [touch("crowd@x.com", d, "mutual", group=40) for d in range(60, 200, 7)]
        + every("new@x.com", 3, 4, start=1)
        + every("met@x.com", 7, 10, start=60) + [touch("met@x.com", -5, "mutual")]
        + every("sn@x.com", 7, 10, start=60) + every("ig@x.com", 7, 10, start=60)
        + every("old-snooze@x.com", 7, 10, start=60)
    )
    # an ended snooze (old-snooze) is not in force, so it never reaches the model: the store
    # decides that (daemon.store.snoozes.active, tests/daemon/cli/test_snooze.py)
    hidden = Hidden(IgnoreSettings(addresses=("ig@x.com",)),
                    {"sn@x.com": AS_OF + timedelta(days=30)})
    scored = score_frame(frame_of(touches), AS_OF, hidden=hidden)
    why = {e.key: e.excluded_because for e in scored.everyone}
    assert why == {"in@x.com": "inbound_only", "bot@x.com": "bulk", "crowd@x.com": "group_only",
                   "new@x.com": "too_new", "met@x.com": "upcoming_meeting", "sn@x.com": "snoozed",
                   "ig@x.com": "ignored", "old-snooze@x.com": None}
    assert [e.key for e in scored.losing_touch] == ["old-snooze@x.com"]
    assert entry(scored, "met@x.com").reason == "A meeting is already on the calendar for 28 Nov."
    assert entry(scored, "sn@x.com").reason == "Snoozed until 23 Dec."
    no_calendar = score_frame(frame_of(touches), AS_OF, upcoming=False)
    assert entry(no_calendar, "met@x.com").excluded_because is None


def test_shapes_from_directions_and_threads() -> None:
    base = lambda a: every(a, 7, 10, start=60)  # noqa: E731
    touches = (
        base("owe@x.com") + [touch("owe@x.com", 40, "inbound")]
        + base("quiet@x.com") + [touch("quiet@x.com", 40, "outbound", thread=1)]
        + base("reply@x.com") + [touch("reply@x.com", 50, "inbound", thread=2),
                                 touch("reply@x.com", 40, "outbound", thread=2)]
        + base("cc@x.com") + [touch("cc@x.com", 40, "inbound", direct=False)]
        + base("meet@x.com") + [touch("meet@x.com", 40, "mutual")]
    )
    scored = score_frame(frame_of(touches), AS_OF)
    shapes = {e.key: e.shape for e in scored.losing_touch}
    assert shapes == {"owe@x.com": "owe_reply", "quiet@x.com": "they_went_quiet",
                      "reply@x.com": "mutual_fade", "cc@x.com": "mutual_fade",
                      "meet@x.com": "mutual_fade"}
    assert entry(scored, "owe@x.com").reason.endswith(
        "Last: they emailed you on 14 Oct; you have not replied.")
    assert entry(scored, "quiet@x.com").reason.endswith(
        "Last: you emailed them on 14 Oct and have not heard back.")
    assert entry(scored, "meet@x.com").reason.endswith("Last: you met on 14 Oct.")


def test_strength_two_way_and_small_meetings_count_more() -> None:
    touches = (every("two@x.com", 7, 10) + every("one@x.com", 7, 10, directions=("inbound",))
               + [touch("solo@x.com", d, "mutual") for d in range(0, 70, 7)]
               + [touch("crowd@x.com", d, "mutual", group=8) for d in range(0, 70, 7)])
    frame = frame_of(touches)
    s = dict(zip((p.key for p in frame.persons), aggregate(frame, seconds(AS_OF)).strength,
                 strict=True))
    assert s["two@x.com"] > 2 * s["one@x.com"]
    assert s["solo@x.com"] > 2 * s["crowd@x.com"]


def test_monthly_strip_has_twelve_calendar_months() -> None:
    touches = [touch("m@x.com", d) for d in (1, 2, 30, 200, 400)] + every("m@x.com", 7, 3)
    e = entry(score_frame(frame_of(touches), AS_OF), "m@x.com")
    assert len(e.monthly) == 12
    assert e.monthly[-1] == 4 and e.monthly[-2] == 1 and sum(e.monthly) == 6  # not day 0, 400


def test_model_is_deterministic() -> None:
    touches = every("a@x.com", 9, 20, start=40) + every("b@x.com", 5, 30, start=20)
    assert score_frame(frame_of(touches), AS_OF) == score_frame(frame_of(touches), AS_OF)


def test_reason_words() -> None:
    assert [reasons.span(d) for d in (1, 5, 20, 49, 120, 400, 800)] == [
        "a day", "5 days", "3 weeks", "7 weeks", "4 months", "13 months", "2 years"]
    assert [reasons.every(d) for d in (1, 4, 7, 14, 91)] == [
        "every day", "every ~4 days", "every week", "every ~2 weeks", "every ~3 months"]


def test_score_over_a_store_groups_identities_and_applies_snoozes(store) -> None:  # type: ignore[no-untyped-def]
    touches = (every("ann@work.com", 14, 12, start=70) + every("ann@home.com", 14, 6, start=77)
               + every("bob@x.com", 7, 20, start=60) + every("zed@noise.com", 7, 20, start=60))
    store_of(store, touches)
    with store.transaction() as s:
        s.add(Snooze(address="bob@x.com", until=None))
    config = Config(people=(Person(name="Ann", addresses=("ann@work.com", "ann@home.com")),),
                    ignore=IgnoreSettings(domains=("noise.com",)), report=ReportSettings())
    scored = score(store, config, AS_OF)
    ann = entry(scored, "ann@work.com")
    assert ann.name == "Ann" and ann.addresses == ("ann@work.com", "ann@home.com")
    assert ann.numbers["interactions"] == 18
    assert [e.key for e in scored.losing_touch] == ["ann@work.com"]
    assert entry(scored, "bob@x.com").excluded_because == "snoozed"
    assert entry(scored, "zed@noise.com").excluded_because == "ignored"
    unsnoozed = score(store, config, AS_OF, hidden=Hidden(config.ignore, {}, config.people))
    assert entry(unsnoozed, "bob@x.com").group == "losing_touch"


def test_evaluate_with_no_touchpoints() -> None:
    frame = frame_of([touch("a@x.com", -3)])  # only in the future
    ev = evaluate(frame, seconds(AS_OF))
    assert not ev.present.any()
    assert score_frame(frame, AS_OF).everyone == ()
