"""The ``[ignore]`` rules as one matcher, applied when reporting (editing needs no re-sync),
and the dry run behind ``keepwarm ignore check``: what each rule hides.

Rules: exact addresses; whole domains including their subdomains; shell-style patterns
(``*-noreply@*``) matched with :func:`fnmatch.fnmatchcase` on the lower-cased address.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from daemon.config import IgnoreSettings
from daemon.store import Store
from daemon.store.contacts import touchpoint_counts
from daemon.sync.addresses import normalise


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str  # address | domain | pattern
    value: str  # as written in the config, lower-cased (addresses normalised)
    origin: str = "config"  # or "mail": ignored by a command mailed to yourself (the store)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.value}" + (" (by mail)" if self.origin == "mail" else "")

    def matches(self, address: str) -> bool:
        """Does this rule hide ``address`` (already normalised)?"""
        address = address.lower()
        if self.kind == "address":
            return address == self.value
        if self.kind == "domain":
            domain = address.rpartition("@")[2]
            return domain == self.value or domain.endswith("." + self.value)
        return fnmatchcase(address, self.value)


class Matcher:
    """All rules of one ``[ignore]`` section; ``ignored(address)`` is cached per address."""

    def __init__(self, settings: IgnoreSettings) -> None:
        self.rules: list[Rule] = (
            [Rule("address", normalise(a)) for a in settings.addresses]  # as contacts are
            + [Rule("domain", _domain(d)) for d in settings.domains]
            + [Rule("pattern", p.strip().lower()) for p in settings.patterns])
        self._exact = {r.value for r in self.rules if r.kind == "address"}
        self._domains = {r.value for r in self.rules if r.kind == "domain"}
        self._patterns = [r.value for r in self.rules if r.kind == "pattern"]
        self._cache: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.rules)

    def ignored(self, address: str) -> bool:
        """True when any rule hides ``address``."""
        hit = self._cache.get(address)
        if hit is None:
            hit = self._cache[address] = self._match(address.lower())
        return hit

    def _match(self, address: str) -> bool:
        if address in self._exact:
            return True
        domain = address.rpartition("@")[2]
        parts = domain.split(".")
        if any(".".join(parts[i:]) in self._domains for i in range(len(parts))):
            return True
        return any(fnmatchcase(address, p) for p in self._patterns)


@dataclass
class RuleImpact:
    """What one rule hides: counts and the most-touched names, for the dry run."""

    rule: Rule
    contacts: int = 0
    touchpoints: int = 0
    top: list[tuple[str, str, int]] = field(default_factory=list)  # (address, name, touchpoints)


def _domain(text: str) -> str:
    """A domain rule as contacts store domains (``googlemail.com`` is ``gmail.com``)."""
    return normalise("x@" + text.strip().lstrip("@").lstrip(".")).rpartition("@")[2]


def impact(rules: Iterable[Rule], contacts: Iterable[tuple[str, str, int]],
           top: int = 5) -> list[RuleImpact]:
    """Per rule, the contacts ``(address, name, touchpoints)`` it hides (a contact hidden by
    two rules counts under both, so an over-broad rule shows its full reach)."""
    rows = list(contacts)
    out = []
    for rule in rules:
        hit = sorted((r for r in rows if rule.matches(r[0])), key=lambda r: (-r[2], r[0]))
        out.append(RuleImpact(rule, len(hit), sum(r[2] for r in hit), hit[:top]))
    return out


def check(store: Store, settings: IgnoreSettings, top: int = 5) -> list[RuleImpact]:
    """The dry run over a store: every contact with its touchpoint count, against each rule."""
    member = store.member_id
    with store.session() as s:
        rows = touchpoint_counts(s, member)
    return impact(Matcher(settings).rules, rows, top)
