"""The model's integer codes are the positions of the vocabularies' members, and the frame
itself knows nothing of the store."""

from __future__ import annotations

import ast
from pathlib import Path

import daemon.model.frame as frame
from daemon.model.assess import GROUP_NAMES, SHAPE_NAMES
from daemon.model.vocab import Group, Shape
from daemon.store import columns
from daemon.store.vocab import Direction


def test_direction_codes_are_the_stores() -> None:
    assert (frame.OUT, frame.IN, frame.MUTUAL) == (columns.OUT, columns.IN, columns.MUTUAL)
    assert columns.DIRECTION_NAMES[frame.OUT] == Direction.OUTBOUND
    assert columns.DIRECTION_NAMES[frame.IN] == Direction.INBOUND
    assert columns.DIRECTION_NAMES[frame.MUTUAL] == Direction.MUTUAL


def test_group_and_shape_codes_follow_the_vocabulary() -> None:
    # assess computes 0 losing, 1 dormant, 2 steady, 3 excluded; shapes 0, 1, 2 in this order
    assert GROUP_NAMES == ("losing_touch", "dormant", "steady", "excluded") == tuple(Group)
    assert SHAPE_NAMES == ("owe_reply", "they_went_quiet", "mutual_fade") == tuple(Shape)


def test_the_frame_imports_nothing_from_the_store() -> None:
    tree = ast.parse(Path(frame.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith("daemon.store")]
