"""The scoring model: who is going quiet, how likely they are to lapse, and why, in one sentence.

Entry point: :func:`daemon.model.rank.score` (store and config in,
:class:`~daemon.model.entries.Scored` out). Inside: ``load`` (the store's touchpoints as a
frame), ``frame`` (touchpoints as arrays), ``vocab`` (groups and drift shapes),
``rhythm`` (per-person aggregates), ``risk`` (the calibrated lapse risk), ``assess`` (the model
as a pure function of arrays), ``reasons`` (the sentence), ``ignore`` (the ``[ignore]`` rules),
``hidden`` (who is left out: ignore rules and snoozes, decided once for the model and the
summary), ``entries`` (what the summary receives), ``backtest`` and ``metrics`` (checking the
ranking against what really happened), ``examples`` (the backtest's candidates and labels),
``adapt`` (the risk refitted to the user's own past, the shipped coefficients as its prior) and
``quiet`` (the user's own silence, which is not everyone's fade).
"""
