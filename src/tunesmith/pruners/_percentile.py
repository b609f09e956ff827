"""Percentile and median pruning: stop a trial whose curve trails the other trials' at its step."""

from __future__ import annotations

import math

from .._checks import check_float, check_int
from ..records import FrozenTrial, TrialState
from ._base import BasePruner, PruningContext
from ._common import _decision_step, _loss, _sign

__all__ = ["MedianPruner", "PercentilePruner"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def _percentile(ascending: list[float], q: float) -> float:
    """The ``q``-th percentile (``q`` in [0, 100]) of sorted values, interpolated linearly as
    ``numpy.percentile`` does; ``inf`` entries are fine (no ``inf - inf``)."""
    position = (len(ascending) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ascending) - 1)
    a, b = ascending[low], ascending[high]
    fraction = position - low
    if fraction == 0.0 or a == b:
        return a
    return a + (b - a) * fraction


# -- the pruners ---------------------------------------------------------------------------------
class PercentilePruner(BasePruner):
    """Prunes a trial whose best value so far is worse than a percentile of the other trials'.

    The rule, at the trial's latest reported step ``s``:

    1. Decide only after the warm-up and once per interval: ``s >= n_warmup_steps`` and ``s`` is
       the first reported step of its interval of ``interval_steps`` steps counted from
       ``n_warmup_steps`` (with a report at every step: ``(s - n_warmup_steps) % interval_steps
       == 0``).
    2. Decide only once ``n_startup_trials`` trials are COMPLETE or PRUNED, and only if at least
       ``n_min_trials`` of them (the trial itself aside) reported step ``s`` exactly.
    3. Prune if the trial's best value over its steps so far is worse than the ``percentile``-th
       best of those trials' values *at step* ``s`` (linear interpolation as in
       ``numpy.percentile``; ``percentile=25`` keeps the trials in the best quarter). A tie is
       not worse.

    The others are compared by their value at step ``s``, the trial by its best so far, as in
    Optuna's ``PercentilePruner``: one dictionary lookup per trial (``O(n_trials)`` per call
    whatever the curve length), and the trial gets the benefit of the doubt on a noisy step.
    RUNNING trials are not compared against. NaN and +-inf values count as the worst possible
    value: a trial whose values are all NaN is pruned unless the percentile itself is such a
    value.

    Args:
        percentile: In ``[0, 100]``; the smaller, the more is pruned.
        n_startup_trials: No pruning until this many trials are COMPLETE or PRUNED.
        n_warmup_steps: No pruning at steps below this.
        interval_steps: Decide once every this many steps after the warm-up.
        n_min_trials: No pruning at a step fewer finished trials reported.

    Example:
        >>> import tunesmith as ts
        >>> pruner = ts.pruners.PercentilePruner(25.0, n_startup_trials=4)
        >>> study = ts.create_study(pruner=pruner)
        >>> for final in (1.0, 2.0, 3.0, 4.0):  # finished trials with flat curves
        ...     _ = study.add_trial(ts.create_trial(params={}, distributions={}, value=final,
        ...                                         intermediate_values={0: final, 1: final}))
        >>> trial = study.ask()
        >>> trial.report(1.5, step=0)  # the best quarter at step 0 is <= 1.75
        >>> trial.should_prune()
        False
        >>> trial.report(1.9, step=1)  # its best so far is still 1.5
        >>> trial.should_prune()
        False
        >>> other = study.ask()
        >>> other.report(2.0, step=0)
        >>> other.should_prune()
        True
    """

    _name = "PercentilePruner"

    def __init__(
        self,
        percentile: float,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        owner = self._name
        self._percentile = check_float(
            percentile, "percentile", low=0.0, high=100.0, owner=owner, rule="a number in [0, 100]"
        )
        self._n_startup_trials = check_int(n_startup_trials, "n_startup_trials", low=0, owner=owner)
        self._n_warmup_steps = check_int(n_warmup_steps, "n_warmup_steps", low=0, owner=owner)
        self._interval_steps = check_int(interval_steps, "interval_steps", low=1, owner=owner)
        self._n_min_trials = check_int(n_min_trials, "n_min_trials", low=1, owner=owner)

    def __repr__(self) -> str:
        return f"PercentilePruner(percentile={self._percentile!r}, {self._common_repr()})"

    def _common_repr(self) -> str:
        return (
            f"n_startup_trials={self._n_startup_trials}, n_warmup_steps={self._n_warmup_steps}, "
            f"interval_steps={self._interval_steps}, n_min_trials={self._n_min_trials}"
        )

    def prune(self, context: PruningContext, trial: FrozenTrial) -> bool:
        reported = trial.intermediate_values
        step = _decision_step(reported, self._n_warmup_steps, self._interval_steps)
        if step is None:
            return False
        finished = [t for t in context.trials if t.state in _FINISHED]
        if len(finished) < self._n_startup_trials:
            return False
        sign = _sign(context.directions[0])
        at_step = []
        for t in finished:
            value = t.intermediate_values.get(step)
            if value is not None and t.number != trial.number:
                at_step.append(_loss(value, sign))
        if not at_step or len(at_step) < self._n_min_trials:
            return False
        at_step.sort()
        best = min(_loss(v, sign) for v in reported.values())
        return best > _percentile(at_step, self._percentile)


class MedianPruner(PercentilePruner):
    """``PercentilePruner(50.0, ...)``: prunes a trial whose best value so far is worse than the
    median of the other finished trials' values at its latest step (see ``PercentilePruner``
    for the exact rule). The default pruner of single-objective studies.

    Args:
        n_startup_trials: No pruning until this many trials are COMPLETE or PRUNED.
        n_warmup_steps: No pruning at steps below this.
        interval_steps: Decide once every this many steps after the warm-up.
        n_min_trials: No pruning at a step fewer finished trials reported.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(direction="maximize",
        ...                         pruner=ts.pruners.MedianPruner(n_startup_trials=3))
        >>> for accuracy in (0.6, 0.7, 0.8):
        ...     _ = study.add_trial(ts.create_trial(params={}, distributions={}, value=accuracy,
        ...                                         intermediate_values={0: accuracy}))
        >>> trial = study.ask()
        >>> trial.report(0.65, step=0)  # below the median accuracy, 0.7
        >>> trial.should_prune()
        True
    """

    _name = "MedianPruner"

    def __init__(
        self,
        *,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0,
            n_startup_trials=n_startup_trials,
            n_warmup_steps=n_warmup_steps,
            interval_steps=interval_steps,
            n_min_trials=n_min_trials,
        )

    def __repr__(self) -> str:
        return f"MedianPruner({self._common_repr()})"
