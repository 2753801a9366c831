"""An address is only ever taken from an address part (issue 12): a display name, decoded or
not, never becomes a contact, however it is encoded, and real addresses beside it still parse."""

from __future__ import annotations

import base64
from collections import Counter

from hypothesis import example, given
from hypothesis import strategies as st

from connectors.microsoft.records import render
from daemon.sync.addresses import normalise, parse_addresses

VICTIM = "victim@evil.example"
_RAW = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/@.")


def parse(*values: str) -> list[str]:
    return [a for _, a in parse_addresses(values, Counter())]


def q_word(text: str) -> str:
    """``text`` as a q-encoded word the way spam writes it: ``@`` and ``.`` left raw."""
    out = "".join(c if c in _RAW else "_" if c == " " else
                  "".join(f"={b:02X}" for b in c.encode()) for c in text)
    return f"=?utf-8?q?{out}?="


def b_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


_local = st.text("abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s)
_domain = st.sampled_from(["ok.example", "corp.example.org", "mail.example.net"])
REAL = st.builds(lambda loc, dom: f"{loc}@{dom}", _local, _domain)
_chars = st.sampled_from(list("ab xyz@.,;:<>\"()[]\\\r\n\t_=?") + [VICTIM, "\u00e9", "\u2028"])
NAME = st.lists(_chars, max_size=30).map("".join)
ENCODE = st.sampled_from([q_word, b_word])


@given(NAME, ENCODE, REAL, st.sampled_from(["{e} <{r}>", '"{e}" <{r}>', "({e}) {r}",
                                             "{r} ({e})", "Team: {e} <{r}>;"]))
@example("attacker\r\n victim@evil.example\r\nx-injected", q_word, "real@ok.example",
         "{e} <{r}>")
@example("\rvictim@evil.example", q_word, "0@ok.example", "Team: {e} <{r}>;")
def test_a_decoded_display_name_never_becomes_an_address_and_the_real_one_parses(
        name, encode, real, form):
    value = form.format(e=encode(name), r=real)
    assert parse(value) == [normalise(real)], value


@given(st.lists(st.tuples(NAME, ENCODE, st.sampled_from(["{e}", "{e} {r}", "{e} <{r}>"]),
                          REAL), min_size=1, max_size=3))
@example([("attacker\r\n victim@evil.example\r\nx-injected", q_word, "{e}", "r@ok.example")])
@example([("attacker\r\n_victim@evil.example\r\nx-injected", q_word, "{e}", "r@ok.example")])
def test_an_encoded_word_alone_or_beside_a_bare_address_is_never_an_address(entries):
    value = ", ".join(form.format(e=encode(name), r=real) for name, encode, form, real in entries)
    reals = {normalise(real) for *_, real in entries}
    got = parse(value)
    assert set(got) <= reals, value
    assert not any("=?" in a or "?=" in a for a in got), value


_graph_name = st.text(max_size=40) | st.lists(_chars, max_size=20).map("".join)
_graph_local = _local | st.sampled_from(["jos\u00e9", "\u00fc\u00f1i", "r\u00e9al.x"])


@given(_graph_name, _graph_local, _domain)
@example(f"{VICTIM}, x", "jos\u00e9", "ok.example")  # a non-ASCII address: no formataddr
@example(f'a" <{VICTIM}>, "b', "real", "ok.example")
def test_a_graph_name_never_becomes_an_address(name, local, domain):
    """Graph gives name and address apart; the rendered header must keep them apart."""
    address = f"{local}@{domain}"
    value = render({"emailAddress": {"name": name, "address": address}}, Counter())
    assert value is not None
    assert parse(value) == [normalise(address)], value
