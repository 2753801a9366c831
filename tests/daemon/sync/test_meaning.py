"""What a record means: direction, counterparts, group size, bulk versus list traffic, events."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import Attendee, EventRecord, MessageRecord
from daemon.sync.meaning import Interpreter

ME = "me@example.com"
WHEN = datetime(2025, 3, 4, 10, tzinfo=UTC)


def interp() -> Interpreter:
    return Interpreter({ME, "Me.Alias@Example.com"}, "acct", datetime(2026, 1, 1, tzinfo=UTC))


def message(**kw) -> MessageRecord:
    base = {"source_id": "1", "message_id": "<a@b>", "when": WHEN}
    return MessageRecord(**{**base, **kw})


def test_outbound_gives_every_recipient_and_group_size():
    m = interp().interpret(message(from_=(f"Me <{ME}>",), to=("a@x.com, b@y.com",),
                                   cc=("c@z.com",)))
    assert m is not None
    assert [(c.address, c.direction, c.direct) for c in m.counterparts] == [
        ("a@x.com", "outbound", True), ("b@y.com", "outbound", True),
        ("c@z.com", "outbound", False)]
    assert m.group_size == 3


def test_inbound_counterpart_is_the_sender_diluted_by_the_others():
    i = interp()
    m = i.interpret(message(from_=("Ann <ann@x.com>",), cc=("me.alias@example.com",),
                            to=("bob@y.com",)))
    assert m is not None
    [c] = m.counterparts
    assert (c.address, c.direction, c.direct, m.group_size) == ("ann@x.com", "inbound", False, 2)


def test_sent_label_makes_outbound_even_from_an_unknown_alias():
    m = interp().interpret(message(from_=("old@corp.com",), to=("x@y.com",), labels=("SENT",)))
    assert m is not None and m.counterparts[0].direction == "outbound"


def test_bulk_signals_and_list_traffic_are_apart():
    i = interp()
    news = i.interpret(message(from_=("news@shop.com",), to=(ME,), list_unsubscribe=True))
    post = i.interpret(message(from_=("dev@people.org",), to=("list@lists.org",),
                               list_id="<dev.lists.org>", list_unsubscribe=True,
                               precedence="bulk"))
    robot = i.interpret(message(from_=("no-reply@svc.com",), to=(ME,)))
    auto = i.interpret(message(from_=("a@b.com",), to=(ME,), auto_submitted="auto-replied"))
    promo = i.interpret(message(from_=("a@b.com",), to=(ME,), labels=("CATEGORY_PROMOTIONS",)))
    assert news and news.bulk and not news.listed
    assert post and post.listed and not post.bulk
    assert all(m and m.bulk for m in (robot, auto, promo))


def test_skips_are_counted_per_reason():
    i = interp()
    assert i.interpret(message(from_=("a@b.com",), labels=("DRAFT",))) is None
    assert i.interpret(message(when=None, date_header="not a date", from_=("a@b.com",))) is None
    assert i.interpret(message(when=datetime(1980, 1, 1, tzinfo=UTC), from_=("a@b.com",))) is None
    assert i.interpret(message(from_=("nobody",))) is None
    assert i.interpret(message(from_=(ME,), to=(ME,))) is None
    assert dict(i.skipped) == {"not_a_conversation": 1, "bad_date": 1, "implausible_date": 1,
                               "no_sender": 1, "no_counterpart": 1,
                               "malformed_address": 1}


def test_identity_is_message_id_else_source_id():
    i = interp()
    a = i.interpret(message(message_id=" <X@Y> ", from_=("a@b.com",)))
    b = i.interpret(message(message_id=None, source_id="77", from_=("a@b.com",)))
    assert a and a.identity == "mid:X@Y"
    assert b and b.identity == "src:acct:77"


def event(**kw) -> EventRecord:
    base = {"source_id": "e", "uid": "u1", "start": WHEN, "occurrence": WHEN,
            "attendees": (Attendee(ME, is_self=True, response="accepted"),
                          Attendee("ann@x.com", "Ann", "accepted"),
                          Attendee("bob@y.com", "Bob", "declined"),
                          Attendee("room1@x.com", "Room", is_resource=True))}
    return EventRecord(**{**base, **kw})


def test_meeting_counterparts_skip_rooms_and_decliners():
    m = interp().interpret(event())
    assert m is not None and m.channel == "meeting"
    assert [c.address for c in m.counterparts] == ["ann@x.com"]
    assert m.identity == f"uid:u1:{WHEN.isoformat()}"


def test_declined_or_cancelled_meetings_are_not_touchpoints():
    i = interp()
    mine = (Attendee(ME, response="declined"), Attendee("ann@x.com"))
    assert i.interpret(event(attendees=mine)) is None
    assert i.interpret(event(status="cancelled")) is None
    assert dict(i.skipped) == {"declined": 1, "cancelled": 1}


def test_future_meetings_are_kept_as_upcoming():
    m = interp().interpret(event(start=datetime(2026, 2, 1, tzinfo=UTC)))
    assert m is not None and m.at > datetime(2026, 1, 1, tzinfo=UTC)


def test_a_meeting_the_user_organised_then_declined_means_nothing():
    """Google keeps the organiser's own answer on their attendee entry (the connector makes
    that entry the organizer): a decline there was ignored and the meeting counted."""
    i = interp()
    me = Attendee(ME, "Me", "declined", is_self=True)
    google = event(organizer=me, attendees=(me, Attendee("ann@x.com", "Ann", "accepted")))
    apart = event(organizer=Attendee(ME, "Me", "declined"),
                  attendees=(Attendee("ann@x.com", "Ann", "accepted"),))
    assert i.interpret(google) is None and i.interpret(apart) is None
    assert dict(i.skipped) == {"declined": 2}
    other = Attendee("boss@x.com", "Boss", "declined")  # someone else's decline: still a meeting
    m = i.interpret(event(organizer=other, attendees=(
        Attendee(ME, is_self=True, response="accepted"), other,
        Attendee("ann@x.com", "Ann", "accepted"))))
    assert m is not None and [c.address for c in m.counterparts] == ["ann@x.com"]


def test_over_long_or_unstorable_ids_become_a_stable_hash():
    """identity and thread_key columns hold 512 characters: a spammer's 2 KB Message-ID (or
    one carrying a NUL or a lone surrogate) becomes ``mid#<hash>``, the same on every read."""
    i = interp()
    long_mid, bad_mid = "x" * 600 + "@spam", "a\x00\udcff@spam"
    a = i.interpret(message(message_id=f"<{long_mid}>", from_=("a@b.com",), to=(ME,)))
    b = i.interpret(message(message_id=f"<{long_mid}>", from_=("a@b.com",), to=(ME,)))
    c = i.interpret(message(message_id=bad_mid, from_=("a@b.com",), to=(ME,)))
    t = i.interpret(message(thread_id="t" * 600, from_=("a@b.com",), to=(ME,)))
    assert a and b and c and t
    assert a.identity == b.identity and a.identity.startswith("mid#") and len(a.identity) < 64
    assert a.thread_key == b.thread_key and a.thread_key and a.thread_key.startswith("m#")
    assert c.identity.startswith("mid#") and c.identity != a.identity
    assert t.thread_key and t.thread_key.startswith("t#")
    ok = i.interpret(message(thread_id="abc", from_=("a@b.com",), to=(ME,)))
    assert ok and (ok.identity, ok.thread_key) == ("mid:a@b", "t:abc")  # unchanged


def test_event_identity_and_names_are_storable():
    i = interp()
    people = (Attendee(ME, is_self=True, response="accepted"),
              Attendee("ann@x.com", "A\x00nn\udcff" + "n" * 300, "accepted"),
              Attendee("b" * 330 + "@x.com", "Long", "accepted"))
    m = i.interpret(event(uid="u" * 600, attendees=people))
    assert m is not None and len(m.identity) <= 512 and m.identity.startswith("uid#")
    [ann] = m.counterparts
    assert ann.name.startswith("Ann\ufffdnnn") and len(ann.name) == 256
    assert i.skipped == {"malformed_address": 1}
    again = interp().interpret(event(uid="u" * 600, attendees=people))
    assert again and again.identity == m.identity


def _storable(text: str | None, limit: int) -> bool:
    from unicodedata import category

    if text is None:
        return True
    text.encode("utf-8")  # raises on a lone surrogate
    return len(text) <= limit and not any(category(c) in ("Cc", "Cs") for c in text)


_junk = st.text(st.characters(exclude_categories=()), max_size=600)
_header = _junk | st.sampled_from(["=?utf-8?b?////?= <a@b.com>", "=?bogus?q?x=FF?= <c@d.org>",
                                   "\udcffX <e@f.net>"])


@settings(max_examples=200, deadline=None)
@given(_junk, _junk, _header, _header, _junk, _junk)
def test_every_string_a_meaning_carries_is_storable(mid, thread, frm, to, uid, name):
    i = interp()
    m = i.interpret(message(message_id=mid, thread_id=thread or None, from_=(frm,), to=(to,)))
    e = i.interpret(event(uid=uid or None, source_id=mid, attendees=(
        Attendee(ME, is_self=True), Attendee(f"{name[:40]}@x.com", name))))
    for meaning in filter(None, (m, e)):
        assert _storable(meaning.identity, 512) and _storable(meaning.thread_key, 512)
        for c in meaning.counterparts:
            assert _storable(c.address, 320) and _storable(c.name, 256)
