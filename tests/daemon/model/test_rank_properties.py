"""Properties of the model (hypothesis): a fresh interaction never raises a going-quiet score;
ignored or snoozed people never appear; a common time shift leaves the ranking unchanged."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.config import IgnoreSettings
from daemon.model.hidden import Hidden
from daemon.model.rank import score_frame

from helpers.model import AS_OF, Touch, frame_of

ADDRESSES = ("ann@a.com", "bob@b.org", "cy@sub.c.net", "dee@a.com", "eve@e.io")

touches_st = st.builds(
    Touch,
    address=st.sampled_from(ADDRESSES),
    days=st.floats(0.01, 900, allow_nan=False),
    direction=st.sampled_from(["outbound", "inbound", "mutual"]),
    meeting=st.booleans(),
    group=st.integers(1, 15),
    noise=st.booleans() | st.just(False),
    direct=st.booleans(),
    thread=st.integers(-1, 4),
)
histories = st.lists(touches_st, min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(histories, st.data())
def test_a_new_interaction_never_raises_the_going_quiet_score(history, data) -> None:  # type: ignore[no-untyped-def]
    who = data.draw(st.sampled_from(sorted({t.address for t in history})))
    fresh = data.draw(st.builds(
        Touch, address=st.just(who), days=st.floats(0.0001, 0.99),
        direction=st.sampled_from(["outbound", "inbound", "mutual"]), meeting=st.booleans(),
        group=st.integers(1, 15), noise=st.booleans(), direct=st.booleans(),
        thread=st.integers(-1, 4)))
    before = {e.key: e.score for e in score_frame(frame_of(history), AS_OF).everyone}
    after = {e.key: e.score for e in score_frame(frame_of([*history, fresh]), AS_OF).everyone}
    assert after[who] <= before[who] + 1e-12


@settings(max_examples=150, deadline=None)
@given(histories, st.sets(st.sampled_from(ADDRESSES)), st.sets(st.sampled_from(ADDRESSES)),
       st.sets(st.sampled_from(["a.com", "c.net", "b.org"])), st.booleans())
def test_ignored_or_snoozed_people_never_appear(  # type: ignore[no-untyped-def]
        history, ignored, snoozed, domains, forever) -> None:
    until = None if forever else AS_OF + timedelta(days=1)
    hide = Hidden(IgnoreSettings(addresses=tuple(ignored), domains=tuple(domains)),
                  {a: until for a in snoozed})
    scored = score_frame(frame_of(history), AS_OF, hidden=hide)
    hidden = {a for a in ADDRESSES if a in ignored or a in snoozed
              or any(a.endswith("." + d) or a.endswith("@" + d) for d in domains)}
    shown = {e.key for e in scored.losing_touch + scored.dormant}
    assert not shown & hidden
    for e in scored.everyone:
        if e.key in hidden:
            assert e.group == "excluded" and e.excluded_because in ("ignored", "snoozed")


@settings(max_examples=100, deadline=None)
@given(histories, st.integers(-10 * 365 * 86400, 10 * 365 * 86400))
def test_shifting_all_times_keeps_the_ranking(history, shift) -> None:  # type: ignore[no-untyped-def]
    later = AS_OF + timedelta(seconds=shift)
    a = score_frame(frame_of(history, AS_OF), AS_OF)
    b = score_frame(frame_of(history, later), later)
    assert [e.key for e in a.losing_touch] == [e.key for e in b.losing_touch]
    assert [e.key for e in a.dormant] == [e.key for e in b.dormant]
    assert [(e.key, e.group, e.score, e.shape) for e in a.everyone] == [
        (e.key, e.group, e.score, e.shape) for e in b.everyone]
