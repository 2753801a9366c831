"""A team config: ``[[members]]`` merged with the shared defaults into one plain config each.

Each member's table is checked on its own (:class:`MemberTable`), then merged: its accounts
(names qualified ``<member>.<account>``, the ``google = true`` / ``microsoft = true``
shortcuts added, ``[organisation.<kind>]`` keys filled in), top-level ``[report]`` and
``[delivery]`` under its own, ``[ignore]`` and ``[[people]]`` joined. :func:`merged` returns
that raw table with :class:`Origins`, which say where in the file each key came from, so an
error in member 3's merged settings names member 3's key (or the shared key it inherited).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.settings import GoogleAccount, MicrosoftAccount
from daemon.config.lines import locate
from daemon.config.problems import Loc, line_of, problem
from daemon.errors import ConfigError

if TYPE_CHECKING:
    from daemon.config import Config

MEMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$"
NAME_LIMIT = 64  # connectors.settings.NAME_PATTERN: a qualified account name fits this
ORGANISATION_KINDS: dict[str, type[BaseModel]] = {"google": GoogleAccount,
                                                  "microsoft": MicrosoftAccount}
# Keys that belong to one mailbox, never to the organisation's shared sign-in.
PERSONAL_KEYS = frozenset({"name", "kind", "enabled", "address", "auth"})
IGNORE_KEYS = ("addresses", "domains", "patterns", "keep")
# A team's summaries go to each member; one shared recipient would receive everyone's.
PER_MEMBER_DELIVERY = ("to",)


def organisation_keys(kind: str) -> frozenset[str]:
    """The keys ``[organisation.<kind>]`` may set: the account kind's shared ones."""
    return frozenset(ORGANISATION_KINDS[kind].model_fields) - PERSONAL_KEYS


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrganisationSettings(_Table):
    """``[organisation.google]`` and ``[organisation.microsoft]``: the sign-in shared by every
    member account of that kind with ``auth = "organisation"`` (values checked per account)."""

    google: dict[str, Any] = Field(default_factory=dict)
    microsoft: dict[str, Any] = Field(default_factory=dict)

    @field_validator("google", "microsoft")
    @classmethod
    def _known(cls, value: dict[str, Any], info: Any) -> dict[str, Any]:
        unknown = sorted(set(value) - organisation_keys(info.field_name))
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: not a shared {info.field_name} key "
                             f"(allowed: {', '.join(sorted(organisation_keys(info.field_name)))})")
        return value


class MemberTable(_Table):
    """One ``[[members]]`` table as written (its sub-tables are checked once merged)."""

    name: Annotated[str, Field(pattern=MEMBER_PATTERN)]
    addresses: Annotated[tuple[str, ...], Field(min_length=1)]
    google: bool = False
    microsoft: bool = False
    accounts: tuple[dict[str, Any], ...] = ()
    report: dict[str, Any] = Field(default_factory=dict)
    delivery: dict[str, Any] = Field(default_factory=dict)
    ignore: dict[str, Any] = Field(default_factory=dict)
    people: tuple[dict[str, Any], ...] = ()


@dataclass
class Origins:
    """Where the keys of one member's merged table were written, as file locations."""

    member: tuple[Any, ...]  # ("members", i)
    accounts: list[tuple[Any, ...]] = field(default_factory=list)  # each account's table
    filled: dict[tuple[int, str], tuple[Any, ...]] = field(default_factory=dict)  # org keys
    people: list[tuple[Any, ...]] = field(default_factory=list)
    defaults: dict[str, set[str]] = field(default_factory=dict)  # section -> inherited keys

    def locate(self, loc: tuple[Any, ...]) -> tuple[Any, ...]:
        """The file location of ``loc`` in the merged table."""
        head, rest = (loc[0], loc[1:]) if loc else ("", ())
        if head == "me":
            return (*self.member, *rest) if rest else self.member
        if head == "accounts" and rest and isinstance(rest[0], int) and rest[0] < len(
                self.accounts):
            key = rest[1] if len(rest) > 1 else None
            where = self.filled.get((rest[0], key)) if isinstance(key, str) else None
            return where or (*self.accounts[rest[0]], *rest[1:])
        if head == "people" and rest and isinstance(rest[0], int) and rest[0] < len(
                self.people):
            return (*self.people[rest[0]], *rest[1:])
        if head in ("report", "delivery", "ignore"):
            inherited = self.defaults.get(head, set())
            if rest and rest[0] in inherited:
                return loc
            return (*self.member, head, *rest)
        return (*self.member, *loc) if head in ("accounts", "people") else loc


def merged(index: int, member: MemberTable, top: dict[str, Any],
           organisation: dict[str, Any]) -> tuple[dict[str, Any], Origins]:
    """Member ``index``'s whole config table (``top``: the file's, for the shared sections and
    ``organisation``'s tables), and where each of its keys came from."""
    origins = Origins(("members", index))
    accounts = []
    for j, account in enumerate(member.accounts):
        accounts.append(dict(account))
        origins.accounts.append(("members", index, "accounts", j))
    for kind in ("google", "microsoft"):
        if getattr(member, kind):  # the shortcut: the member's own mailbox, organisation sign-in
            shortcut: dict[str, Any] = {"name": kind, "kind": kind, "address": member.addresses[0]}
            if "auth" in ORGANISATION_KINDS[kind].model_fields:
                shortcut["auth"] = "organisation"
            accounts.append(shortcut)
            origins.accounts.append(("members", index, kind))
    for j, account in enumerate(accounts):
        of = str(account.get("kind"))
        shared = _dict(organisation.get(of)) if of in ORGANISATION_KINDS else {}
        if account.get("auth") == "organisation" or origins.accounts[j][-1] == of:
            for key, value in shared.items():
                if key not in account and key in organisation_keys(of):  # else refused above
                    account[key] = value
                    origins.filled[(j, key)] = ("organisation", of, key)
            if "address" not in account:  # whom the organisation's sign-in reads as
                account["address"] = member.addresses[0]
                origins.filled[(j, "address")] = ("members", index, "addresses", 0)
        if isinstance(name := account.get("name"), str):
            account["name"] = f"{member.name}.{name}"
    table: dict[str, Any] = {k: v for k, v in top.items() if k in ("store", "daemon")}
    table |= {"me": {"addresses": list(member.addresses)}, "accounts": accounts,
              "member": member.name}
    for section in ("report", "delivery"):
        shared_section = _dict(top.get(section))
        own = getattr(member, section)
        origins.defaults[section] = set(shared_section) - set(own)
        table[section] = {**shared_section, **own}
    table["delivery"].setdefault("to", member.addresses[0])
    shared_ignore = _dict(top.get("ignore"))
    origins.defaults["ignore"] = set(shared_ignore) - set(member.ignore)
    table["ignore"] = {k: _union(shared_ignore.get(k), member.ignore.get(k))
                       for k in {*shared_ignore, *member.ignore}}
    people: list[Any] = top["people"] if isinstance(top.get("people"), list) else []
    table["people"] = [*people, *member.people]
    origins.people = [*(("people", k) for k in range(len(people))),
                      *(("members", index, "people", k) for k in range(len(member.people)))]
    return table, origins


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _union(first: Any, second: Any) -> Any:
    """The shared list then the member's, each value once; a non-list is left for pydantic."""
    if first is None:
        return second
    if second is None:
        return first
    if not isinstance(first, list) or not isinstance(second, list):
        return second
    return list(dict.fromkeys([*first, *second]))


def too_long(member: str, accounts: tuple[dict[str, Any], ...]) -> list[tuple[int, str]]:
    """The member's accounts whose qualified name ``<member>.<name>`` passes the limit."""
    return [(j, f"{member}.{a['name']}") for j, a in enumerate(accounts)
            if isinstance(a.get("name"), str) and len(f"{member}.{a['name']}") > NAME_LIMIT]


def load_team(data: dict[str, Any], path: Path, lines: dict[Loc, int],
              config: type[Config]) -> Config:
    """The team config (a ``config``) of TOML ``data`` read from ``path``: every member
    validated, every problem of every member reported at once."""
    problems = [line_of(path, locate(lines, (key,)), (key,), msg) for key, msg in [
        ("me", "a team config has no top-level [me]: set each member's addresses"),
        ("accounts", "a team config has no top-level [[accounts]]: use [[members.accounts]]"),
    ] if key in data]
    shared_delivery = _dict(data.get("delivery"))
    for key in PER_MEMBER_DELIVERY:
        if key in shared_delivery:
            loc = ("delivery", key)
            problems.append(line_of(path, locate(lines, loc), loc, "set per member in a team "
                                    "(default: the member's first address)"))
    raw = data["members"]
    if not isinstance(raw, list) or not raw or not all(isinstance(m, dict) for m in raw):
        problems.append(line_of(path, locate(lines, ("members",)), ("members",),
                                "write one [[members]] table per person"))
        raw = []
    organisation = _dict(data.get("organisation"))
    members, configs, seen = [], [], set[str]()
    for i, table in enumerate(raw):
        try:
            member = MemberTable.model_validate(table)
        except ValidationError as exc:
            problems += [problem(e, path, lines, table, _under(("members", i)))
                         for e in exc.errors()]
            continue
        own = _member_problems(i, member, seen, organisation, path, lines)
        seen.add(member.name)
        problems += own
        if not own:  # else its merged table would only repeat them
            members.append((i, member))
    for i, member in members:
        merged_table, origins = merged(i, member, data, organisation)
        try:
            configs.append(config.model_validate({**merged_table, "path": path}))
            configs[-1]._origins = origins
        except ValidationError as exc:
            problems += [problem(e, path, lines, merged_table, origins.locate)
                         for e in exc.errors()]
    top = {k: v for k, v in data.items() if k not in ("members", "me", "accounts")}
    if members and "to" not in shared_delivery:  # each member's own; checked per member
        top["delivery"] = {**shared_delivery, "to": members[0][1].addresses[0]}
    try:
        team = config.model_validate({**top, "path": path})
    except ValidationError as exc:
        problems += [problem(e, path, lines, top) for e in exc.errors()]
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))
    return team.model_copy(update={"members": tuple(configs)})


def stray_keys(data: dict[str, Any], path: Path, lines: dict[Loc, int]) -> list[str]:
    """Team keys where they mean nothing: ``member`` (set by the merge, never written), and
    ``[organisation]`` outside a team (a team of one is one ``[[members]]`` table)."""
    stray = [("member", "unknown key (a team lists its people as [[members]])")]
    if "members" not in data:
        stray.append(("organisation", "only a team config ([[members]]) signs in for the "
                                      "organisation; list yourself as one member"))
    return [line_of(path, locate(lines, (key,)), (key,), msg) for key, msg in stray
            if key in data]


def _under(prefix: Loc) -> Callable[[Loc], Loc]:
    return lambda loc: (*prefix, *loc)


def _member_problems(i: int, member: MemberTable, seen: set[str], organisation: dict[str, Any],
                     path: Path, lines: dict[Loc, int]) -> list[str]:
    """What is wrong with member ``i`` beyond its table's own shape."""
    found: list[tuple[Loc, str]] = []
    if member.name in seen:
        found.append((("members", i, "name"), f"member name {member.name!r} is used twice"))
    found += [(("members", i, "accounts", j, "name"), f"{name!r} is longer than {NAME_LIMIT} "
               "characters (member name, '.', account name)")
              for j, name in too_long(member.name, member.accounts)]
    found += [(("members", i, kind), f"needs an [organisation.{kind}] table (the shared sign-in)")
              for kind in ORGANISATION_KINDS if getattr(member, kind) and kind not in organisation]
    return [line_of(path, locate(lines, loc), loc, msg) for loc, msg in found]
