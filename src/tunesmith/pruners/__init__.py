"""Pruners: stop unpromising trials early from their learning curves.

The objective reports a value per step and asks the study's pruner whether to go on:

    >>> import tunesmith as ts
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", 0.0, 1.0)
    ...     for epoch in range(10):
    ...         loss = x + 1 / (1 + epoch)
    ...         trial.report(loss, epoch)
    ...         if trial.should_prune():
    ...             raise ts.TrialPruned()
    ...     return loss
    >>> study = ts.create_study(sampler=ts.samplers.RandomSampler(seed=0),
    ...                         pruner=ts.pruners.MedianPruner())
    >>> study.optimize(objective, n_trials=30)
    >>> any(t.state is ts.TrialState.PRUNED for t in study.trials)
    True

- ``MedianPruner`` (the default) and ``PercentilePruner``: worse than most other trials at
  the same step.
- ``SuccessiveHalvingPruner`` (ASHA) and ``HyperbandPruner``: outside the top ``1 / eta`` of
  the trials that reached the same rung (step ``min_resource * eta ** k``).
- ``ThresholdPruner``: a value outside fixed bounds, or NaN.
- ``PatientPruner``: no improvement for ``patience`` steps (optionally with another pruner).
- ``NopPruner``: never.

Pruners keep no state: every decision is a function of the study's stored trials and the
trial's reports, so all workers on one storage decide alike. A pruner reads the study through a
``PruningContext`` (its name, directions and trials): a ``Study``, or a
``tunesmith.storages.StudyView`` that a worker builds from the storage alone. NaN and +-inf
intermediate values count as the worst possible value.
"""

from __future__ import annotations

from ._base import BasePruner, PruningContext
from ._hyperband import HyperbandPruner
from ._nop import NopPruner
from ._patient import PatientPruner
from ._percentile import MedianPruner, PercentilePruner
from ._successive_halving import SuccessiveHalvingPruner
from ._threshold import ThresholdPruner

__all__ = [
    "BasePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "PruningContext",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
]
