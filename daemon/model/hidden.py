"""Who the report leaves out, decided once per report: the ``[ignore]`` rules, the snoozes in
force at its as-of time, and the addresses that are not people (lists, robots:
:mod:`daemon.model.roles`), in one :class:`Hidden`.

The model marks these people excluded (``ignored`` before ``snoozed``) and every summary
section leaves them out, all through the same object. A person is hidden when any of their
addresses is ignored or snoozed, so one address of a ``[[people]]`` group hides the whole
group; but a group is a list or a robot only when all its addresses are (a person who writes
from one address and is copied at a role alias is still a person).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from daemon.config import Config, IgnoreSettings
from daemon.config import Person as PersonSettings
from daemon.model.frame import identities
from daemon.model.ignore import Matcher
from daemon.model.roles import Roles, roles_at
from daemon.model.vocab import Exclusion
from daemon.store import Store, ignores, snoozes
from daemon.store.columns import TouchpointColumns


class Hidden:
    """The ignore rules and the snoozes in force (address -> end, None: until unsnoozed).
    Call it with an address: True when the summary must leave that address out."""

    def __init__(self, ignore: IgnoreSettings | None = None,
                 snoozed: Mapping[str, datetime | None] | None = None,
                 people: Sequence[PersonSettings] = (), roles: Roles | None = None) -> None:
        self.matcher = Matcher(ignore or IgnoreSettings())
        self.snoozed = dict(snoozed or {})
        self.roles = roles or Roles()
        persons, index = identities((), people)
        self._person = {a: persons[i].addresses for a, i in index.items()}

    @classmethod
    def at(cls, store: Store, config: Config, as_of: datetime,
           columns: TouchpointColumns | None = None) -> Hidden:
        """The rules of ``config`` with the store's ignores (mailed commands), the snoozes of
        ``store`` in force at ``as_of`` and the lists and robots its mail before ``as_of`` shows
        (counted from ``columns``, the store's touchpoints, when given)."""
        return cls(with_stored(config.ignore, store), snoozes.active(store, as_of), config.people,
                   roles_at(store, as_of, config.ignore.keep, columns))

    def why(self, addresses: Iterable[str]) -> Exclusion | None:
        """Ignored, snoozed, a list or a robot, for a person with these addresses; None: shown."""
        addresses = tuple(addresses)
        if self.matcher and any(map(self.matcher.ignored, addresses)):
            return Exclusion.IGNORED
        if self.snoozed and not self.snoozed.keys().isdisjoint(addresses):
            return Exclusion.SNOOZED
        # plain loops: a report asks this of every person (20,000 on a big store)
        lists, robots = self.roles.lists, self.roles.automated
        listed = 0
        for a in addresses:
            if a in lists:
                listed += 1
            elif a not in robots:
                return None  # one address that is a person makes the group a person
        if not addresses:
            return None
        return Exclusion.LIST if listed == len(addresses) else Exclusion.AUTOMATED

    def until(self, addresses: Iterable[str]) -> datetime | None:
        """When the person's snooze ends (that of their first snoozed address)."""
        return next((self.snoozed[a] for a in addresses if a in self.snoozed), None)

    def __call__(self, address: str) -> bool:
        return self.why(self._person.get(address, (address,))) is not None


def with_stored(settings: IgnoreSettings, store: Store) -> IgnoreSettings:
    """The ``[ignore]`` rules plus the addresses and domains ignored in the store."""
    addresses, domains = ignores.values(store)
    if not addresses and not domains:
        return settings
    return settings.model_copy(update={"addresses": (*settings.addresses, *addresses),
                                       "domains": (*settings.domains, *domains)})
