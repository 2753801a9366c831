"""Issue 17: nobody enters "losing touch" (or dormant) without a two-way history: at least one
message from them to you, or a meeting together."""

from __future__ import annotations

from daemon.model.rank import score_frame

from helpers.model import AS_OF, every, frame_of, touch


def _why(touches):  # type: ignore[no-untyped-def]
    scored = score_frame(frame_of(touches), AS_OF)
    return {e.key: (e.group, e.excluded_because) for e in scored.everyone}


def test_only_one_message_from_them_or_one_meeting_makes_a_tie_two_way() -> None:
    # a weekly post to a list that never writes back (bar two bulk notices), silent two months
    lst = every("list@x.com", 7, 30, start=60, directions=("outbound",))
    lst += [touch("list@x.com", 60 + 7 * i, "inbound", noise=True) for i in range(2)]
    wrote = every("ann@x.com", 7, 30, start=60, directions=("outbound",))
    wrote.append(touch("ann@x.com", 300, "inbound", group=40))  # even in a large thread
    met = every("bo@x.com", 7, 30, start=60, directions=("outbound",))
    met.append(touch("bo@x.com", 400, "mutual"))
    why = _why(lst + wrote + met)
    assert why["list@x.com"] == ("excluded", "outbound_only")
    assert why["ann@x.com"] == ("losing_touch", None)
    assert why["bo@x.com"] == ("losing_touch", None)
