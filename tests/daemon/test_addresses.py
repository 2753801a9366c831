"""Address and date parsing: RFC 2047, groups, quoted commas, junk never raises."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from daemon.addresses import normalise, parse_addresses, parse_date


def parse(*values: str) -> tuple[list[tuple[str, str]], Counter[str]]:
    skipped: Counter[str] = Counter()
    return parse_addresses(values, skipped), skipped


def test_rfc2047_display_name_is_decoded():
    [(name, addr)], _ = parse("=?utf-8?q?Jos=C3=A9_P=C3=A9rez?= <Jose@Example.COM>")
    assert (name, addr) == ("José Pérez", "jose@example.com")


def test_groups_and_undisclosed_recipients():
    got, skipped = parse("undisclosed-recipients:;", "Team: a@x.com, b@y.com;")
    assert [a for _, a in got] == ["a@x.com", "b@y.com"]
    assert not skipped


def test_quoted_and_unquoted_commas():
    got, _ = parse('"Doe, John" <john@x.com>', "Doe, John <j@x.org>")
    assert [a for _, a in got] == ["john@x.com", "j@x.org"]


def test_one_bad_address_does_not_drop_the_header():
    got, skipped = parse("ok@x.com, bob@, also@y.com")
    assert {a for _, a in got} >= {"ok@x.com"}
    assert skipped["malformed_address"] >= 1


def test_gmail_dots_and_googlemail():
    assert normalise("First.Last@GoogleMail.com") == "firstlast@gmail.com"
    assert normalise("First.Last@work.example") == "first.last@work.example"


def test_dates():
    assert parse_date("Mon, 14 May 2001 16:39:00 -0700 (PDT)") == datetime(
        2001, 5, 14, 23, 39, tzinfo=UTC)
    assert parse_date("Tue, 1 Jan 2002 10:00:00 -0000") == datetime(2002, 1, 1, 10, tzinfo=UTC)
    assert parse_date("garbage") is None
    assert parse_date("32 Jun 2001 10:00:00 +0000") is None
    assert parse_date(None) is None


@given(st.text(max_size=200))
def test_any_header_value_parses_without_raising(value):
    got, _ = parse(value)
    for _, addr in got:
        assert "@" in addr and addr == addr.lower()


@given(st.text(max_size=80))
def test_any_date_parses_or_is_none(value):
    result = parse_date(value)
    assert result is None or result.tzinfo is not None
