"""The backtest on a tiny constructed store: candidates, labels, tracks, the owner-still-sends
rule, baselines, AUC / precision@5 / bootstrap arithmetic, and the command's rows."""

from __future__ import annotations

import json
from datetime import date, timedelta
from itertools import product

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from daemon.cli.backtest import main
from daemon.model.backtest import Snapshot, rows, snapshot_times, snapshots
from daemon.model.metrics import auc, evaluate_track, precision_at, reliability
from daemon.store import Store
from daemon.store.db import sqlite_url

from helpers.model import AS_OF, every, frame_of, store_of, touch

H = timedelta(weeks=12)


def history(still_sending: bool = True) -> list:  # type: ignore[type-arg]
    t = (every("keep@x.com", 7, 10, start=1) + [touch("keep@x.com", -10)]
         + every("gone@x.com", 10, 6, start=20)
         + every("old@x.com", 10, 5, start=60) + [touch("old@x.com", -50, "inbound")]
         + every("one@x.com", 5, 6, directions=("inbound",))
         + [touch("big@x.com", d, dr, group=6) for d, dr in product((1, 5, 9), ("outbound",
                                                                               "inbound"))]
         + every("few@x.com", 5, 3, start=2))
    return t + ([touch("later@x.com", -100)] if still_sending else [])


def test_candidates_labels_tracks_and_baselines() -> None:
    [snap] = list(snapshots("o", frame_of(history()), [AS_OF], H))
    got = {c: (bool(lab), bool(b)) for c, lab, b in zip(snap.contacts, snap.label, snap.track_b,
                                                         strict=True)}
    assert got == {"keep@x.com": (False, True), "gone@x.com": (True, True),
                   "old@x.com": (False, False)}
    base = {c: (snap.scores["recency"][i], snap.scores["frequency"][i],
                snap.scores["gap_ratio"][i]) for i, c in enumerate(snap.contacts)}
    assert base["keep@x.com"] == (1.0, -10.0, 1.0 / 7)
    assert base["gone@x.com"] == (20.0, -6.0, 2.0)
    assert np.all((snap.scores["model"] > 0) & (snap.scores["model"] < 1))


def test_a_snapshot_counts_only_if_the_owner_still_sends_after_the_horizon() -> None:
    assert list(snapshots("o", frame_of(history(still_sending=False)), [AS_OF], H)) == []


def test_snapshot_times_at_midnight_utc() -> None:
    times = snapshot_times(date(2000, 7, 1), date(2000, 9, 1), timedelta(weeks=4))
    assert [t.isoformat() for t in times] == ["2000-07-01T00:00:00+00:00",
                                               "2000-07-29T00:00:00+00:00",
                                               "2000-08-26T00:00:00+00:00"]


def brute_auc(score: np.ndarray, label: np.ndarray) -> float:
    pairs = [(p > n) + 0.5 * (p == n) for p in score[label] for n in score[~label]]
    return float(np.mean(pairs))


@given(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=2, max_size=40))
def test_auc_matches_counting_pairs(data) -> None:  # type: ignore[no-untyped-def]
    score = np.array([s for s, _ in data], float)
    label = np.array([lab for _, lab in data])
    if label.all() or not label.any():
        assert np.isnan(auc(score, label))
    else:
        assert abs(auc(score, label) - brute_auc(score, label)) < 1e-12


def test_precision_at_five_breaks_ties_by_key() -> None:
    score = np.array([0.9, 0.8, 0.8, 0.1, 0.7, 0.6, 0.5])
    label = np.array([True, False, True, True, False, False, True])
    keys = ("a", "c", "b", "d", "e", "f", "g")
    assert precision_at(score, label, keys) == 2 / 5  # a, b, c, e, f
    assert precision_at(score[:2], label[:2], keys[:2]) == 0.5


def _snap(owner: str, model: list[float], label: list[bool]) -> Snapshot:
    n = len(model)
    m = np.array(model)
    return Snapshot(owner, AS_OF, tuple(f"c{i}" for i in range(n)), np.array(label),
                    np.array([i % 2 == 0 for i in range(n)]),
                    {"model": m, "recency": -m, "frequency": np.zeros(n), "gap_ratio": m * 0.5},
                    np.zeros((n, 10)))


def test_pooled_auc_precision_and_bootstrap() -> None:
    snaps = [_snap("a", [0.9, 0.2, 0.6, 0.1], [True, False, True, False]),
             _snap("b", [0.5, 0.4, 0.3, 0.8, 0.7, 0.1], [False, True, False, True, True, False])]
    r = evaluate_track(snaps, "A", boot=200)
    score = np.concatenate([s.scores["model"] for s in snaps])
    label = np.concatenate([s.label for s in snaps])
    assert abs(r.auc["model"].value - auc(score, label)) < 1e-12
    assert abs(r.auc["recency"].value - (1 - auc(score, label))) < 1e-12
    assert r.auc["frequency"].value == 0.5
    assert r.precision["model"].value == (2 / 4 + 3 / 5) / 2
    assert r.auc["model"].low <= r.auc["model"].value <= r.auc["model"].high
    b = evaluate_track(snaps, "B", boot=50)
    assert b.rows == 5
    table = reliability(snaps, bins=2)
    assert [n for *_, n in table] == [5, 5] and table[1][2] == 0.8


def test_rows_rank_by_risk() -> None:
    out = list(rows(_snap("a", [0.2, 0.9, 0.5], [False, True, False])))
    assert [(r["contact"], r["rank"], r["track"], r["rank_b"]) for r in out] == [
        ("c0", 3, "B", 2), ("c1", 1, "A", None), ("c2", 2, "B", 1)]
    assert set(out[0]) >= {"owner", "as_of", "contact", "risk", "rank", "label", "track"}


def test_the_command_pools_owners_and_writes_rows(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "owners"
    folder.mkdir()
    for owner, still in (("ann", True), ("bob", True), ("cy", False)):
        store = Store(sqlite_url(folder / f"{owner}.sqlite"))
        store_of(store, history(still))
        store.dispose()
    out = tmp_path / "rows.jsonl"
    day = AS_OF.date().isoformat()
    code = main(["--from", day, "--to", day, "--stores", str(folder), "--rows", str(out),
                 "--boot", "20"])
    assert code == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert {r["owner"] for r in lines} == {"ann", "bob"}  # cy stopped sending
    assert len(lines) == 6 and all(r["as_of"] == "2026-11-23T00:00:00Z" for r in lines)
    printed = capsys.readouterr().out
    model_auc = auc(np.array([r["risk"] for r in lines]), np.array([r["label"] for r in lines]))
    assert f"| A     | model     | {model_auc:.3f}" in printed
    assert "Reliability" in printed
    assert "| A     | adapted   |" in printed  # issue 11: adapted and unadapted side by side
    assert "Reliability of the adapted risk" in printed
    assert all("adapted" in r for r in lines)


def test_rows_name_the_contact_by_store_key_and_by_the_address_seen(store) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: an outside checker joins on either the person's key or the address used."""
    from daemon.config import Person
    from daemon.model.load import load

    touches = [t for t in history() if t.address != "keep@x.com"]
    touches += every("keep@x.com", 14, 5, start=8)  # the work address, older
    touches += every("keep@home.example", 14, 5, start=1)  # the home address, last used
    store_of(store, touches)
    people = [Person(name="Keep", addresses=["keep@x.com", "keep@home.example"])]
    [snap] = list(snapshots("o", load(store, people), [AS_OF], H))
    got = {r["key"]: r["address"] for r in rows(snap)}
    assert got["keep@x.com"] == "keep@home.example"
    assert got["gone@x.com"] == "gone@x.com"
    assert all(r["contact"] == r["key"] for r in rows(snap))
