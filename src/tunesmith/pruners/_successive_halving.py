"""Asynchronous successive halving (ASHA).

Li et al. 2020, "A System for Massively Parallel Hyperparameter Tuning" (MLSys), Algorithm 2: a
trial that reaches rung ``k`` goes on only if it ranks in the top ``1 / eta`` of the trials
that reached that rung so far. ASHA proper pauses the others and may resume them later; a
trial here cannot be resumed, so "not promoted now" means pruned (as in Optuna).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from .._checks import check_int, check_int_or_auto
from ..records import FrozenTrial
from ._base import BasePruner, PruningContext
from ._common import _first_complete_last_step, _loss, _sign

__all__ = ["SuccessiveHalvingPruner"]


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving: at each rung, only the best ``1 / reduction_factor`` go on.

    Rung ``k = 0, 1, ...`` sits at step
    ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``; with
    ``min_resource=1, reduction_factor=3`` the rungs are at steps 1, 3, 9, 27, ...

    A trial's *value at a rung* is its value at its first reported step ``>=`` the rung's step
    (the step itself when every step is reported). The trial is judged at a rung when it
    reaches it, i.e. when its latest reported step is the first one ``>=`` the rung's step (if
    one report jumps over several rungs, it is judged at each, lowest first). Its competitors
    are every trial of the study, in any state and itself included, that has a value at that
    rung. With ``n`` of them, it goes on if fewer than ``max(1, n // reduction_factor)`` have a
    strictly better value (it ties into the top ``1 / reduction_factor``; the first trials to
    reach a rung, fewer than ``reduction_factor``, go on only if they are the best there);
    otherwise it is pruned. While fewer than ``bootstrap_count`` trials (itself included) have
    reached a rung, no trial is pruned there. Between rungs nothing is pruned.

    Nothing is remembered between calls: the promotions are recomputed from the stored curves,
    so call ``should_prune`` after each ``report`` (a rung is judged when the report that
    reaches it is the latest). NaN and +-inf values count as the worst possible value.

    Args:
        min_resource: Step of the lowest rung (times ``reduction_factor **
            min_early_stopping_rate``), an int >= 1; or ``"auto"``: ``max(1, last_step // 100)``
            where ``last_step`` is the largest step the first COMPLETE trial reported (the
            earliest ``datetime_complete``); no pruning before such a trial exists.
        reduction_factor: ``eta``, an int >= 2: the share ``1 / eta`` that is promoted and the
            ratio between the steps of consecutive rungs.
        min_early_stopping_rate: ``s`` in the paper, an int >= 0: shifts the first rung to
            ``min_resource * reduction_factor ** s``.
        bootstrap_count: Trials that must reach a rung before any is pruned there, an int >= 0.

    Example:
        >>> import tunesmith as ts
        >>> pruner = ts.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
        >>> study = ts.create_study(pruner=pruner)  # rungs at steps 1, 2, 4, 8, ...
        >>> _ = study.add_trial(ts.create_trial(params={}, distributions={}, value=0.5,
        ...                                     intermediate_values={0: 0.9, 1: 0.7, 2: 0.5}))
        >>> trial = study.ask()
        >>> trial.report(0.8, step=0)  # no rung at step 0
        >>> trial.should_prune()
        False
        >>> trial.report(0.6, step=1)  # best of the two at rung 1 (0.7): promoted
        >>> trial.should_prune()
        False
        >>> trial.report(0.55, step=2)  # behind 0.5 at rung 2: 1 of 2 better, 2 // 2 = 1
        >>> trial.should_prune()
        True
    """

    def __init__(
        self,
        *,
        min_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 3,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
        owner = "SuccessiveHalvingPruner"
        self._min_resource = check_int_or_auto(min_resource, "min_resource", low=1, owner=owner)
        self._reduction_factor = check_int(reduction_factor, "reduction_factor", low=2, owner=owner)
        self._min_early_stopping_rate = check_int(
            min_early_stopping_rate, "min_early_stopping_rate", low=0, owner=owner
        )
        self._bootstrap_count = check_int(bootstrap_count, "bootstrap_count", low=0, owner=owner)

    def __repr__(self) -> str:
        return (
            f"SuccessiveHalvingPruner(min_resource={self._min_resource!r}, "
            f"reduction_factor={self._reduction_factor}, "
            f"min_early_stopping_rate={self._min_early_stopping_rate}, "
            f"bootstrap_count={self._bootstrap_count})"
        )

    def prune(self, context: PruningContext, trial: FrozenTrial) -> bool:
        if not trial.intermediate_values:
            return False
        if self._min_resource == "auto":
            trials = context.trials
            last_step = _first_complete_last_step(trials)
            if last_step is None:
                return False
            min_resource = max(1, last_step // 100)

            def competitors() -> Sequence[FrozenTrial]:
                return trials

        else:
            min_resource = self._min_resource

            def competitors() -> Sequence[FrozenTrial]:
                return context.trials

        return _asha_prunes(
            trial,
            competitors,
            sign=_sign(context.directions[0]),
            first_rung=min_resource * self._reduction_factor**self._min_early_stopping_rate,
            reduction_factor=self._reduction_factor,
            bootstrap_count=self._bootstrap_count,
        )


def _asha_prunes(
    trial: FrozenTrial,
    competitors: Callable[[], Sequence[FrozenTrial]],
    *,
    sign: float,
    first_rung: int,
    reduction_factor: int,
    bootstrap_count: int,
) -> bool:
    """The rule of ``SuccessiveHalvingPruner``; ``competitors()`` is called only at a rung.

    Cost: ``O(steps of the trial)`` between rungs; at a rung, one pass over the competitors
    with a dictionary lookup each (and a scan of a competitor's steps when it has no report at
    the rung's exact step: mostly trials pruned before it, which have few).
    """
    reported = trial.intermediate_values
    step = max(reported)
    previous = max((k for k in reported if k < step), default=-1)
    rung = first_rung
    while rung <= previous:
        rung *= reduction_factor
    if rung > step:
        return False  # no rung reached by the latest report
    own = _loss(reported[step], sign)
    trials = competitors()
    while rung <= step:
        reached, better = 1, 0  # itself, with its latest value
        for t in trials:
            if t.number == trial.number:
                continue
            value = _value_at(t.intermediate_values, rung)
            if value is not None:
                reached += 1
                better += _loss(value, sign) < own
        if reached < bootstrap_count:
            return False  # higher rungs have had no more trials than this one
        if better >= max(1, reached // reduction_factor):
            return True
        rung *= reduction_factor
    return False


def _value_at(reported: Mapping[int, float], rung: int) -> float | None:
    """Value at the first reported step ``>= rung``, or ``None`` if the trial never got there."""
    value = reported.get(rung)
    if value is not None:
        return value
    later = [k for k in reported if k > rung]
    return reported[min(later)] if later else None
