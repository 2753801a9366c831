"""The model's integer codes are the positions of the vocabularies' members."""

from __future__ import annotations

from daemon.model.assess import GROUP_NAMES, SHAPE_NAMES
from daemon.model.frame import IN, MUTUAL, OUT
from daemon.model.vocab import Group, Shape
from daemon.store.vocab import Direction


def test_direction_codes_follow_the_vocabulary() -> None:
    assert tuple(Direction)[OUT] == "outbound"
    assert tuple(Direction)[IN] == "inbound"
    assert tuple(Direction)[MUTUAL] == "mutual"


def test_group_and_shape_codes_follow_the_vocabulary() -> None:
    # assess computes 0 losing, 1 dormant, 2 steady, 3 excluded; shapes 0, 1, 2 in this order
    assert GROUP_NAMES == ("losing_touch", "dormant", "steady", "excluded") == tuple(Group)
    assert SHAPE_NAMES == ("owe_reply", "they_went_quiet", "mutual_fade") == tuple(Shape)
