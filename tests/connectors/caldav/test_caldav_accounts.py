"""CalDAV accounts through the real registry and sync engine: the password comes from the
configured source, a wrong one stops only its account (never retried, a fix named), and a
sync token the server refuses is reconciled in the store by a listing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

import connectors
from connectors.base import Env
from connectors.caldav.dav import DavClient
from connectors.caldav.source import dump, load
from connectors.errors import AuthExpired, ConnectorError
from connectors.settings import CalDavAccount
from daemon.config import Config, MeSettings
from daemon.store.models import Item, Stream
from daemon.sync.engine import Engine

from helpers.radicale import NOW, PASSWORD, USER, Radicale, fresh, vevent

ME = "me@y.org"


def account(server: Radicale, name: str, cal: str, **password: object) -> CalDavAccount:
    return CalDavAccount(name=name, kind="caldav", url=server.url, username=USER,
                         calendars=(cal,), **password)  # type: ignore[arg-type]


def seeded(server: Radicale, people: tuple[str, ...] = ("bob", "carol", "dave")) -> str:
    cal = fresh(server)
    for i, who in enumerate(people):
        server.put_event(cal, f"{who}.ics", vevent(who, NOW - timedelta(days=i + 1),
                                                   f"ATTENDEE:mailto:{who}@x.org\r\n"))
    return cal


def engine(store, tmp_path: Path, *accounts: CalDavAccount) -> Engine:
    cfg = Config(me=MeSettings(addresses=(ME,)), accounts=accounts)
    return Engine(store, cfg, Env(state_dir=tmp_path, now=lambda: NOW))


def items(store) -> int:
    with store.session() as s:
        return int(s.execute(select(func.count()).select_from(Item)).scalar_one())


def test_a_wrong_password_stops_only_its_account_and_is_asked_once(
        radicale: Radicale, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refused: list[str] = []
    real = DavClient._once

    def counting(self: DavClient, *args: str):  # type: ignore[no-untyped-def]
        try:
            return real(self, *args)
        except AuthExpired:
            refused.append(args[0])
            raise

    monkeypatch.setattr(DavClient, "_once", counting)
    monkeypatch.setenv("KW_GOOD", PASSWORD)
    monkeypatch.setenv("KW_BAD", "not-the-password")
    cal = seeded(radicale)
    bad, good = engine(store, tmp_path, account(radicale, "bad", cal, password_env="KW_BAD"),
                       account(radicale, "good", cal, password_env="KW_GOOD")).sync()
    assert (bad.status, good.status) == ("needs_reauth", "ok")
    assert "password" in (bad.error or "") and "name = 'bad'" in (bad.fix or "")
    assert refused == ["PROPFIND"]  # a refused password is never retried
    assert items(store) == 3


def test_password_file_must_be_private(radicale: Radicale, tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o644)
    cal = seeded(radicale, ("bob",))
    acc = account(radicale, "f", cal, password_file=secret)
    [src] = connectors.build(acc, Env(state_dir=tmp_path, now=lambda: NOW))
    with pytest.raises(AuthExpired, match="readable by others"):
        list(src.pages(None))
    secret.chmod(0o600)
    assert [r.uid for p in src.pages(None) for r in p.records] == ["bob"]


def test_a_refused_sync_token_is_reconciled_in_the_store(
        radicale: Radicale, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KW_PW", PASSWORD)
    cal = seeded(radicale)
    eng = engine(store, tmp_path, account(radicale, "a", cal, password_env="KW_PW"))
    eng.sync()
    assert items(store) == 3
    radicale.delete(f"{cal}/dave.ics")
    with store.transaction() as s:  # a token the server never issued: 403 valid-sync-token
        cursor = s.execute(select(Stream.cursor)).scalar_one()
        state = load(cursor)
        for entry in state["cals"].values():
            entry["t"] += "0"
        s.execute(update(Stream).values(cursor=dump(state)))
    [result] = eng.sync()
    assert result.status == "ok" and items(store) == 2


def test_a_private_ca_is_trusted_through_ca_file(
        radicale_tls: tuple[Radicale, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, cert = radicale_tls
    monkeypatch.setenv("KW_PW", PASSWORD)
    cal = seeded(server, ("bob",))
    env = Env(state_dir=tmp_path, now=lambda: NOW)
    trusting = account(server, "tls", cal, password_env="KW_PW", ca_file=cert)
    [src] = connectors.build(trusting, env)
    assert [r.uid for p in src.pages(None) for r in p.records] == ["bob"]
    [src] = connectors.build(account(server, "tls", cal, password_env="KW_PW"), env)
    with pytest.raises(ConnectorError, match="not trusted") as info:
        list(src.pages(None))
    assert "ca_file" in info.value.hint


def test_check_login_says_what_stops_the_account(
        radicale: Radicale, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.caldav import check_login

    monkeypatch.setenv("KW_GOOD", PASSWORD)
    monkeypatch.setenv("KW_BAD", "nope")
    env = Env(state_dir=tmp_path)
    cal = fresh(radicale)
    assert check_login(account(radicale, "a", cal, password_env="KW_GOOD"), env) is None
    problem = check_login(account(radicale, "a", cal, password_env="KW_BAD"), env)
    assert problem is not None and "refused" in problem and "app-specific" in problem
