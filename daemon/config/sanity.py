"""Set-up mistakes a valid config can still hold: addresses left over from the template, and
enabled archives whose path is not there. ``config check`` and ``doctor`` both ask here.

Each problem is one line ``file:line: dotted.key: message``, like a config error.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from daemon.config.lines import key_lines, locate

if TYPE_CHECKING:
    from daemon.config import Config

# RFC 2606 and RFC 6761 reserve these names for examples and tests: no real mailbox lives there.
RESERVED_DOMAINS = ("example", "test", "invalid", "localhost",
                    "example.com", "example.net", "example.org")
# The example config's own stand-ins that are not under a reserved name.
TEMPLATE_ADDRESSES = frozenset({"me.personal@gmail.com"})


def is_placeholder(address: str) -> bool:
    """Whether ``address`` is a stand-in rather than someone's mailbox."""
    address = (parseaddr(address)[1] or address).strip().lower()  # "Me <me@example.org>"
    domain = address.rpartition("@")[2]
    reserved = any(domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS)
    return reserved or address in TEMPLATE_ADDRESSES


def placeholders(config: Config) -> list[str]:
    """One line per placeholder address where Keepwarm takes it for yours: ``[me]``, an
    account's ``address``, and, once delivery is on, the summary's recipient (and for SMTP its
    sender and login, when the login is an address); for every member of a team."""
    lines = _lines(config)
    problems: list[str] = []
    for member in config.team():
        found: list[tuple[tuple[Any, ...], str]] = [
            (("me", "addresses", i), a) for i, a in enumerate(member.me.addresses)]
        found += [(("accounts", i, "address"), a.own_address)
                  for i, a in enumerate(member.accounts) if a.own_address]
        delivery = member.delivery
        keys = {"none": (), "smtp": ("to", "sender", "user")}.get(delivery.method, ("to",))
        found += [(("delivery", k), getattr(delivery, k)) for k in keys
                  if "@" in (getattr(delivery, k) or "")]
        problems += [_line(config, lines, member.source(loc), f"{address!r} is a placeholder")
                     for loc, address in found if is_placeholder(address)]
    return list(dict.fromkeys(problems))  # a shared key is one problem, not one per member


def missing_paths(config: Config) -> list[str]:
    """``file:line: accounts[i].path: ...`` for each enabled archive whose path is not there
    (``members[m].accounts[i].path`` in a team)."""
    lines = _lines(config)
    return [_line(config, lines, member.source(("accounts", i, "path")),
                  f"{str(path)!r} does not exist")
            for member in config.team() for i, account in enumerate(member.accounts)
            if account.enabled and (path := getattr(account, "path", None)) is not None
            and not path.exists()]


def _line(config: Config, lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...],
          msg: str) -> str:
    return f"{config.path}:{locate(lines, loc)}: {_dotted(loc)}: {msg}"


def _lines(config: Config) -> dict[tuple[Any, ...], int]:
    source = config.path
    return key_lines(source.read_text(encoding="utf-8")) if source and source.exists() else {}


def _dotted(loc: tuple[Any, ...]) -> str:
    # the line is the list's, the index names the entry: me.addresses[0]
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
