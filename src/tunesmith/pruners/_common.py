"""Helpers every pruner module shares: the "loss" view of a value, the warm-up / interval rule
and the first finished trial."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

from ..records import FrozenTrial, TrialState


def _sign(direction: str) -> float:
    """Factor turning a value into a loss (smaller is better)."""
    return 1.0 if direction == "minimize" else -1.0


def _loss(value: float, sign: float) -> float:
    """The value as a loss to minimise; NaN and +-inf count as the worst possible value."""
    loss = value * sign
    return loss if math.isfinite(loss) else math.inf


def _decision_step(reported: Collection[int], n_warmup_steps: int, interval: int) -> int | None:
    """The latest of the ``reported`` steps if the pruner decides at it, else ``None``.

    After the warm-up, the first reported step of each interval: ``step >= n_warmup_steps`` and
    the previous reported step lies in an earlier interval (or in the warm-up). When every step
    is reported this is ``(step - n_warmup_steps) % interval == 0``; with sparser reports no
    interval is skipped.
    """
    if not reported:
        return None
    step = max(reported)
    if step < n_warmup_steps:
        return None
    if interval == 1:
        return step
    previous = max((k for k in reported if k < step), default=-1)
    if previous < n_warmup_steps:
        return step
    decides = (step - n_warmup_steps) // interval > (previous - n_warmup_steps) // interval
    return step if decides else None


def _first_complete_last_step(trials: Iterable[FrozenTrial]) -> int | None:
    """Largest reported step of the first trial that COMPLETEd (with reports), or ``None``.

    "First" is the earliest ``datetime_complete`` (ties, and a missing time, by trial number):
    later completions never change it, and every worker reads the same stored times.
    """
    first: FrozenTrial | None = None
    first_key = (math.inf, 0)
    for t in trials:
        if t.state is TrialState.COMPLETE and t.intermediate_values:
            done = t.datetime_complete
            key = (math.inf if done is None else done.timestamp(), t.number)
            if first is None or key < first_key:
                first, first_key = t, key
    return None if first is None else max(first.intermediate_values)
