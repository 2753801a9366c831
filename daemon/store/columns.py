"""Every touchpoint as columns: the one bulk read behind the scoring model's frame.

Rows come in id order; times are whole UTC seconds (floored on every dialect), and a
direction is its code: its position in :class:`~daemon.store.vocab.Direction`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import text

from daemon.store.db import Store
from daemon.store.vocab import Channel, Direction

DIRECTION_NAMES = tuple(Direction)  # direction code -> direction
OUT, IN, MUTUAL = (DIRECTION_NAMES.index(d)
                   for d in (Direction.OUTBOUND, Direction.INBOUND, Direction.MUTUAL))


@dataclass(frozen=True)
class TouchpointColumns:
    """One entry per touchpoint in every column; ``contacts`` maps the contact ids."""

    contacts: list[tuple[int, str, str]]  # (contact id, address, display name)
    contact: np.ndarray  # int64 contact id
    t: np.ndarray  # int64 UTC seconds
    direction: np.ndarray  # int8 direction code
    meeting: np.ndarray  # bool: channel is meeting
    group: np.ndarray  # int32 counterparts on the item
    noise: np.ndarray  # bool: bulk/automated or list traffic
    direct: np.ndarray  # bool: the user was a direct (To:) party
    thread_key: list[str | None]


def _epoch_sql(dialect: str) -> str:
    if dialect == "sqlite":
        return "CAST(strftime('%s', t.at) AS INTEGER)"
    return "CAST(FLOOR(EXTRACT(EPOCH FROM t.at)) AS BIGINT)"  # a plain cast rounds


# One integer per row packs the small columns (fetching 4 numbers is much faster than 8):
# bits 0-1 direction, bit 2 meeting, bit 3 bulk or listed, bit 4 direct.
_FLAGS = (f"(CASE t.direction WHEN '{Direction.OUTBOUND}' THEN {OUT}"
          f" WHEN '{Direction.MUTUAL}' THEN {MUTUAL} ELSE {IN} END)"
          f" + (CASE WHEN t.channel = '{Channel.MEETING}' THEN 4 ELSE 0 END)"
          " + (CASE WHEN t.bulk OR t.listed THEN 8 ELSE 0 END)"
          " + (CASE WHEN t.direct THEN 16 ELSE 0 END)")


def touchpoint_columns(store: Store) -> TouchpointColumns:
    """Every touchpoint of ``store`` (callers mask by time), read through the driver's own
    cursor: at a million rows the ORM's per-row work would dominate."""
    with store.session() as s:
        conn = s.connection()
        contacts = conn.execute(text("SELECT id, address, display_name FROM contacts")).all()
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute(f"SELECT t.contact_id, {_epoch_sql(conn.dialect.name)}, {_FLAGS}, "
                    "t.group_size FROM touchpoints t ORDER BY t.id")
        nums = np.array(cur.fetchall(), dtype=np.int64).reshape(-1, 4)
        cur.execute("SELECT t.thread_key FROM touchpoints t ORDER BY t.id")
        keys = [k for (k,) in cur.fetchall()]
        cur.close()
    flags = nums[:, 2]
    return TouchpointColumns(
        [(c, a, n or "") for c, a, n in contacts], nums[:, 0], nums[:, 1],
        (flags & 3).astype(np.int8), (flags & 4) > 0, nums[:, 3].astype(np.int32),
        (flags & 8) > 0, (flags & 16) > 0, keys)
