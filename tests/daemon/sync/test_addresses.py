"""Address and date parsing: RFC 2047, groups, quoted commas, junk never raises."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from email.header import Header

from hypothesis import given
from hypothesis import strategies as st

from daemon.cli import main
from daemon.sync.addresses import normalise, parse_addresses
from daemon.sync.dates import parse_date

from helpers.archive import ME, mbox_config, write_mbox


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


_local = st.from_regex(r"[a-z][a-z0-9_-]{0,5}(\.[a-z0-9_-]{1,5})?", fullmatch=True)
_domain = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
_quoted = st.from_regex(r"[A-Za-z][A-Za-z .,':]{0,15}", fullmatch=True).map(
    lambda n: f'"{n}"')  # a colon too: a list's "open list:INPUT" <linux-input@...>
_plain = st.from_regex(r"[A-Za-z][A-Za-z ]{0,15}", fullmatch=True)
_encoded = st.text(st.characters(codec="utf-8", categories=["L"]), min_size=1, max_size=8).map(
    lambda t: Header(t, "utf-8").encode())


@given(st.lists(st.tuples(_quoted | _plain | _encoded | st.just(""), _local, _domain),
                min_size=1, max_size=4))
def test_fast_path_agrees_with_the_header_registry(entries):
    from email.policy import default

    from daemon.sync.addresses import _parse_value

    value = ", ".join(f"{name} <{local}@{domain}.com>" if name.strip() else f"{local}@{domain}.com"
                      for name, local, domain in entries)
    fast, bad = _parse_value(value)
    careful = [(" ".join(a.display_name.split()), a.addr_spec)
               for a in default.header_factory("To", value).addresses]
    assert bad == 0
    assert list(fast) == careful


def test_unquoted_surname_comma_rejoins_the_name():
    got, skipped = parse("Doe, John <j@x.org>, Roe, Jane <r@y.org>")
    assert got == [("Doe, John", "j@x.org"), ("Roe, Jane", "r@y.org")]
    assert not skipped
    got, skipped = parse("Doe <d@x.org>, lonely")
    assert got == [("Doe", "d@x.org")] and skipped["malformed_address"] == 1


def test_date_header_beyond_datetime_range_is_skipped_not_fatal(tmp_path, capsys):
    """A Date: whose UTC time overflows year 9999 made parse_date raise OverflowError, which
    failed the whole account on every run (the cursor never moved past the message)."""
    mbox = write_mbox(tmp_path / "m.mbox", [
        ("Ann <ann@x.com>", ME, "Fri, 31 Dec 9999 23:00:00 -1200", "bad@x"),
        ("Ann <ann@x.com>", ME, "Mon, 1 Jan 2024 10:00:00 +0000", "good@x"),
    ])
    cfg = mbox_config(tmp_path, mbox)
    assert main(["--config", str(cfg), "sync"]) == 0
    out = capsys.readouterr().out
    assert "arch: ok" in out and "1 skipped" in out
    assert main(["--config", str(cfg), "contacts"]) == 0
    assert "ann@x.com" in capsys.readouterr().out


def test_encoded_name_is_decoded_when_a_neighbour_is_malformed():
    """One malformed address sends the header value to the getaddresses fallback, which left
    the RFC 2047 display names of the good addresses encoded."""
    from collections import Counter

    from daemon.sync.addresses import parse_addresses

    got = parse_addresses(("=?utf-8?q?Jos=C3=A9?= <jose@y.es>, bob@",), Counter())
    assert got == [("José", "jose@y.es")]


def _stdlib_date(value):
    """What parse_date returned before its fast path: email.utils alone."""
    import email.utils

    try:
        parsed = email.utils.parsedate_to_datetime(value)
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


_days = st.sampled_from(["", "Mon, ", "Sun, ", "Xyz, "])
_months = st.sampled_from(["Jan", "Feb", "Jun", "Dec", "Foo", "jan"])
_zones = st.from_regex(r"[+-][0-9]{4}", fullmatch=True)
_comments = st.sampled_from(["", " (PDT)", " (GMT Standard Time)", " (", "(x)"])


@given(_days, st.integers(0, 40), _months, st.integers(100, 10_000), st.integers(0, 25),
       st.integers(0, 61), st.integers(0, 61), _zones, _comments)
def test_date_fast_path_agrees_with_email_utils(dow, day, mon, year, hh, mm, ss, zone, note):
    # (four-digit years below 100 are read as written, unlike email.utils: test_archive_dates)
    value = f"{dow}{day} {mon} {year:04d} {hh:02d}:{mm:02d}:{ss:02d} {zone}{note}"
    assert parse_date(value) == _stdlib_date(value)


def test_date_fast_path_edges_agree_with_email_utils():
    for value in ("1 Jan 0999 00:00:00 +0000", "31 Dec 9999 23:59:59 -0100",
                  "1 Jan 2001 00:00:00 +9999", "1 Jan 2001 00:00:00 -0000",
                  "29 Feb 2001 00:00:00 +0000", "Sat, 11 Feb 1002 08:25:01 -0800 (PST)",
                  "1 Jan 2001 24:00:00 +0000", "1 Jan 2001 00:00:60 +0000"):
        assert parse_date(value) == _stdlib_date(value), value


# -- storable output (issue 10, point 8): spam's broken encoded words, lone surrogates ----------

_any_char = st.characters(exclude_categories=())  # lone surrogates and controls included
_charsets = st.sampled_from(["utf-8", "UTF-8", "bogus-charset", "latin-1", "iso-2022-jp",
                             "utf-16", "utf-7", "idna", "base64", "unknown-8bit", ""])
_payload = st.text(st.sampled_from("AZaz09=/+_?-.FfCc\udcff\x00é "), max_size=12)
_word = st.builds(lambda cs, enc, p: f"=?{cs}?{enc}?{p}?=", _charsets,
                  st.sampled_from("qQbBx"), _payload)
_addr = st.builds(lambda local, domain: f"{local}@{domain}.com",
                  st.text(_any_char, min_size=1, max_size=8) | st.just("a" * 330),
                  st.text(_any_char, min_size=1, max_size=8) | st.just("x"))
_piece = _word | _addr | st.text(_any_char, max_size=10) | st.sampled_from(
    [", ", " <", ">", '"', ":", ";", "\\", "(", ")", " ", "\r\n "])


def _storable(text: str, limit: int) -> bool:
    """Valid UTF-8 (encoding raises on a lone surrogate), no control character (PostgreSQL
    refuses NUL), at most ``limit`` characters."""
    from unicodedata import category

    text.encode("utf-8")
    return len(text) <= limit and not any(category(c) in ("Cc", "Cs") for c in text)


@given(st.lists(_piece, max_size=12).map("".join))
def test_any_header_gives_storable_names_and_addresses(value):
    """Any text in (lone surrogates, encoded words in unknown charsets or with bytes invalid
    in theirs): no exception, and every name and address is valid UTF-8 that fits its
    column, with no control character."""
    got, _ = parse(value)
    for name, addr in got:
        assert _storable(name, 256) and _storable(addr, 320) and "@" in addr


@given(st.text(_any_char, max_size=400), st.integers(1, 300))
def test_clean_makes_any_text_storable(text, limit):
    from daemon.sync.addresses import clean

    assert _storable(clean(text, limit), limit)


def test_spam_encoded_words_keep_the_address_with_a_repaired_name():
    got, skipped = parse("=?utf-8?b?////?= <a@x.com>", "=?bogus-charset?q?x=FF?= <b@x.com>",
                         "=?utf-8?q?a=00b?= <c@x.com>", "\udcff\ud800Bob <d@x.com>",
                         "=?utf-8?b?a?= <e@x.com>, bob@")
    assert got == [("\ufffd\ufffd\ufffd", "a@x.com"), ("x\ufffd", "b@x.com"),
                   ("ab", "c@x.com"), ("\ufffdBob", "d@x.com"), ("=?utf-8?b?a?=", "e@x.com")]
    assert not skipped


def test_long_names_are_cut_and_long_addresses_are_not_addresses():
    got, skipped = parse(f"{'N' * 300} <a@x.com>, {'b' * 320}@x.com")
    assert got == [("N" * 256, "a@x.com")] and skipped["malformed_address"] == 1
