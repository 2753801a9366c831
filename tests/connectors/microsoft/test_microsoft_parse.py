"""Graph JSON parsers (addresses, times) under hypothesis: never raise, never let junk through."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from email.utils import parseaddr

from hypothesis import given
from hypothesis import strategies as st

from connectors.microsoft.graph_http import retry_after
from connectors.microsoft.records import instant, render, render_all, smtp_address

_local = st.from_regex(r"[A-Za-z0-9._%+-]{1,20}", fullmatch=True)
_domain = st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z]{2,6}){1,2}", fullmatch=True)
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                     lambda kids: st.lists(kids, max_size=4)
                     | st.dictionaries(st.sampled_from(["emailAddress", "address", "name"]),
                                       kids, max_size=3), max_leaves=12)


@given(_local, _domain, st.text(max_size=30))
def test_valid_addresses_round_trip(local: str, domain: str, name: str) -> None:
    skipped: Counter[str] = Counter()
    address = f"{local}@{domain}"
    rendered = render({"emailAddress": {"name": name, "address": address}}, skipped)
    assert rendered is not None and not skipped
    assert parseaddr(rendered)[1] == address


@given(_json)
def test_arbitrary_recipient_json_never_raises(value: object) -> None:
    skipped: Counter[str] = Counter()
    for out in render_all(value if isinstance(value, list) else [value], skipped):
        assert smtp_address(parseaddr(out)[1]) is not None


@given(st.text(max_size=40))
def test_junk_is_never_an_address(text: str) -> None:
    found = smtp_address(text)
    assert found is None or (found.count("@") == 1 and " " not in found and "<" not in found)


@given(st.datetimes(timezones=st.just(UTC)))
def test_instants_are_aware_utc(moment) -> None:  # noqa: ANN001
    text = moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "0Z"  # 7 digits
    parsed = instant(text)
    assert parsed is not None and parsed.tzinfo is UTC and parsed == moment


def test_retry_after_forms() -> None:
    assert retry_after("2.128") == 2.128
    assert retry_after("10") == 10.0
    assert retry_after(None) is None and retry_after("soon") is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
