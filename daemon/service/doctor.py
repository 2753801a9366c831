"""``keepwarm doctor``: is the whole set-up sound? Each check gives OK, WARN, or FIX with what
to do. It also proves the privacy stance: no column of the store can hold a body or subject."""

from __future__ import annotations

import importlib.metadata
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect

import connectors
import daemon
from daemon import config as config_mod
from daemon.clock import now_utc
from daemon.config import Config, sanity
from daemon.errors import KeepwarmError, with_fix
from daemon.service import unit
from daemon.service.checks import Check, fix, ok, warn
from daemon.service.scopes import key_checks, key_files, login_checks, scope_checks
from daemon.store import Store, faults
from daemon.store.health import sync_state
from daemon.store.vocab import AccountStatus
from daemon.summary import attempts, delivery, ledger
from daemon.summary.smtp import check_password_source
from daemon.sync.commands import SECRET_FILE

FORBIDDEN_COLUMN = re.compile(r"body|subject|snippet|content|preview", re.IGNORECASE)
SECRET_KEYS = ("client_secret_file", "client_certificate_file")  # an organisation app's


def run(config_path: Path, state_dir: Path, now: datetime | None = None) -> list[Check]:
    """Every check in order; a failing step skips only the checks that depend on it."""
    now = now or now_utc()
    checks: list[Check] = [package_check()]
    try:
        config = config_mod.load(config_path)
        checks.append(ok(f"config valid: {config_path}"))
    except KeepwarmError as exc:
        checks.append(fix(f"config invalid: {exc}" + (f" ({exc.hint})" if exc.hint else "")))
        return checks + list(mode_checks([config_path], state_dir)) + [service_check()]
    store_paths = [config_path, *key_files(config)]
    if config.store_url.startswith("sqlite:///"):
        store_paths.append(Path(config.store_url.removeprefix("sqlite:///")))
    checks += mode_checks(store_paths + secret_files(config), state_dir)
    checks += setup_checks(config)
    for member in config.team():  # a team: every member's accounts and summary
        checks += key_checks(member)
        checks += scope_checks(member, state_dir)
        checks += login_checks(member, state_dir)
    store = store_check(config, checks)
    if store is not None:
        try:
            checks += privacy_checks(store)
            checks += stream_checks(store, config)
            for member in config.team():
                named = member.member if config.members else None
                checks += _named(named, summary_checks(member, store.scoped(member.member), now))
        finally:
            store.dispose()
    checks.append(service_check())
    return checks


def package_check() -> Check:
    """``daemon`` must be ours: PyPI's python-daemon also installs a top-level ``daemon``."""
    ours = Path(daemon.__file__).resolve().parent == Path(__file__).resolve().parents[1]
    try:
        importlib.metadata.distribution("python-daemon")
        other = True
    except importlib.metadata.PackageNotFoundError:
        other = False
    if not ours:
        return fix(f"the `daemon` package is {daemon.__file__}, not Keepwarm's: "
                   "pip uninstall python-daemon, or install Keepwarm in its own venv (pipx)")
    if other:
        return warn("python-daemon is installed too and may shadow Keepwarm's `daemon` "
                    "package: pip uninstall python-daemon, or use pipx")
    return ok(f"package: {Path(daemon.__file__).parent}")


def mode_checks(paths: list[Path], state_dir: Path) -> Iterator[Check]:
    """Config, store, token and app credential files (and the secret of mailed actions) must
    not be readable by group or others."""
    tokens = state_dir / "tokens"
    files = [p for p in [*paths, state_dir / SECRET_FILE] if p.is_file()]
    files += sorted(p for p in tokens.rglob("*") if p.is_file()) if tokens.is_dir() else []
    loose = [p for p in files if stat.S_IMODE(p.stat().st_mode) & 0o077]
    for path in loose:
        yield fix(f"{path} is readable by others: chmod 600 {path}")
    if not loose:
        yield ok(f"{len(files)} config/store/token file(s) readable by you only")


def secret_files(config: Config) -> list[Path]:
    """The credential files accounts name: an organisation app's secret or certificate."""
    return [path.expanduser() for acc in config.accounts for key in SECRET_KEYS
            if isinstance(path := getattr(acc, key, None), Path)]


def setup_checks(config: Config) -> Iterator[Check]:
    """What the template left for the user to fill in: placeholder addresses, and archive
    paths that do not exist (valid TOML, but nothing would ever sync or count as yours)."""
    placeholders = sanity.placeholders(config)
    missing = sanity.missing_paths(config)
    for problem in placeholders:
        yield fix(f"{problem}: put your own address there")
    for problem in missing:
        yield fix(f"{problem}: fix the path, or set enabled = false on that account")
    if not placeholders and not missing:
        count = sum(len(m.me.addresses) for m in config.team())
        whose = f"of {len(config.members)} members" if config.members else "of yours"
        yield ok(f"{count} address(es) {whose}, every archive path exists")


def _named(member: str | None, checks: Iterator[Check]) -> list[Check]:
    """``checks`` of one member of a team, each line starting with the member's name (None:
    a single-user config, lines as they are)."""
    return [c if member is None else replace(c, text=f"{member}: {c.text}") for c in checks]


def store_check(config: Config, checks: list[Check]) -> Store | None:
    """Open the store without migrating it, check that SQLite finds it sound, and compare its
    revision with the code's. Each fault is one FIX line with its own way out."""
    url = config.store_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        checks.append(_uncreated(Path(url.removeprefix("sqlite:///")), url))
        return None
    store = None
    try:
        store = Store(url, migrate=False)
        fault = faults.damaged(url) if store.damage() else None
        current, head = store.revision()
        newer = [r for r in store.stored_revisions() if r not in store.known_revisions()]
    except Exception as exc:
        if store is not None:
            store.dispose()
        fault = faults.explain(exc, url)
        checks.append(fix(with_fix(str(fault), fault.hint or "check [store] url")))
        return None
    fault = fault or (faults.newer_schema(newer[0]) if newer else None)
    if fault is not None:  # what a damaged or newer store holds cannot be trusted: stop here
        store.dispose()
        checks.append(fix(with_fix(str(fault), fault.hint)))
        return None
    if current != head:
        checks.append(fix(f"store at revision {current}, code at {head}: keepwarm db upgrade"))
    else:
        checks.append(ok(f"store reachable and migrated (revision {head})"))
    return store


def _uncreated(path: Path, url: str) -> Check:
    """A store not made yet: fine if its folder can be made (tried in a throwaway folder)."""
    parent = next(p for p in path.parents if p.exists())
    try:
        with tempfile.TemporaryDirectory(dir=parent):
            pass
    except OSError as exc:
        fault = faults.cannot_create(path.parent, exc)
        return fix(with_fix(str(fault), fault.hint))
    return warn(f"store not created yet ({url}): run keepwarm sync")


def privacy_checks(store: Store) -> Iterator[Check]:
    """The privacy proof: no table of the store has a body- or subject-like column."""
    insp = inspect(store.engine)
    tables = insp.get_table_names()
    columns = [(t, c["name"]) for t in tables for c in insp.get_columns(t)]
    bad = [f"{t}.{c}" for t, c in columns if FORBIDDEN_COLUMN.search(c)]
    if bad:
        yield fix(f"store has body/subject-like columns: {', '.join(bad)}")
    else:
        yield ok(f"privacy: none of {len(columns)} columns in {len(tables)} tables "
                 "holds a body or subject")


def stream_checks(store: Store, config: Config | None = None) -> Iterator[Check]:
    """Last sync per stream, and accounts that need a new sign-in (or, when no sign-in
    would help, such as a refused service account, what to do instead)."""
    with store.session() as s:
        accounts = sync_state(s)
    keyed = {a.name for m in (config.team() if config else ()) for a in m.accounts
             if connectors.signs_in(a.kind) and connectors.no_sign_in(a)}
    for acc in accounts:
        if acc.status == AccountStatus.NEEDS_REAUTH and (
                not connectors.signs_in(acc.kind) or acc.name in keyed):
            yield fix(with_fix(f"account {acc.name}: {acc.last_error}", acc.fix))
        elif acc.status == AccountStatus.NEEDS_REAUTH:
            yield fix(f"account {acc.name} needs a new sign-in: keepwarm auth {acc.name}")
        elif acc.status == AccountStatus.REFUSED:
            yield fix(with_fix(f"account {acc.name} is refused by the organisation's settings: "
                               f"{acc.last_error}", acc.fix))
        elif acc.status == AccountStatus.ERROR:
            yield fix(with_fix(f"account {acc.name} failed its last sync: {acc.last_error}",
                               acc.fix))
    streams = sorted((st for acc in accounts for st in acc.streams), key=lambda st: st.key)
    for st in streams:
        when = st.last_success_at.strftime("%Y-%m-%d %H:%M UTC") if st.last_success_at else None
        if st.last_error:
            yield fix(f"stream {st.key}: {st.last_error}")
        elif when is None:
            yield warn(f"stream {st.key}: never completed a sync")
        else:
            yield ok(f"stream {st.key}: last sync {when}, {st.records} records")
    if not streams:
        yield warn("no stream synced yet: keepwarm sync")


def summary_checks(config: Config, store: Store, now: datetime) -> Iterator[Check]:
    """The next weekly slot, how it will be delivered, and whether that can work."""
    nxt = ledger.next_slot(config.report, now)
    last = ledger.last_sent(store)
    sent = f"; last sent {last.iso_week}" if last else ""
    if config.delivery.method == "none":
        yield warn("no delivery configured: set [delivery] method "
                   f"(next slot {ledger.show(nxt)})")
        return
    problems = delivery.problems(config)
    if config.delivery.method == "smtp":
        problem = check_password_source(config.delivery)
        problems += [problem] if problem else []
    for problem in problems:
        yield fix(f"delivery: {problem}")
    state = attempts.this_week(config, store, now)
    if state is not None:
        yield Check(*state)
    yield from (Check(*missed) for missed in attempts.missed_weeks(config, store, now))
    owed = ledger.owed(store, config.report, now)
    when = "now (owed, catch-up at next start)" if owed and state is None else ledger.show(nxt)
    yield (ok if not problems else warn)(
        f"next summary {when}, {delivery.describe(config)}{sent}")


def service_check() -> Check:
    path = unit.unit_path()
    if not path.exists():
        return warn(f"service not installed ({path}): keepwarm service install")
    state = unit.active_state()
    if state == "active":
        return ok(f"service installed and running ({path})")
    if state is None:
        return warn(f"service installed ({path}); cannot ask systemctl whether it runs")
    return fix(f"service installed but {state}: systemctl --user enable --now keepwarm")
