"""Patient pruning: tolerate a plateau for a while, like Keras' ``EarlyStopping``."""

from __future__ import annotations

import math
import sys

from .._checks import check_float, check_int
from ..records import FrozenTrial
from ._base import BasePruner, PruningContext
from ._common import _loss, _sign

__all__ = ["PatientPruner"]


class PatientPruner(BasePruner):
    """Prunes a trial that stopped improving, if the ``wrapped`` pruner also says so.

    At the trial's latest reported step ``s``, the *recent* values are those reported at steps
    ``s - patience .. s`` (the last ``patience + 1`` steps) and the *earlier* ones those reported
    before. The trial has stalled when there are earlier values and the best recent value does
    not beat the best earlier one by more than ``min_delta`` (for a study that minimizes:
    ``min(recent) >= min(earlier) - min_delta``). With a report at every step, ``patience=2``
    tolerates two steps without improvement and stalls at the third. A stalled trial is pruned
    when ``wrapped`` is ``None`` or ``wrapped.prune(context, trial)`` is true; ``wrapped`` is not
    asked otherwise. NaN and +-inf values count as the worst possible value.

    Args:
        wrapped: A pruner that must agree, or ``None`` to prune on a stall alone.
        patience: Steps without improvement tolerated, an int >= 0.
        min_delta: Smallest change that counts as an improvement, a number >= 0.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(pruner=ts.pruners.PatientPruner(None, patience=2))
        >>> trial = study.ask()
        >>> for step, loss in enumerate([0.9, 0.5, 0.6, 0.7]):
        ...     trial.report(loss, step)
        >>> trial.should_prune()  # two steps without improving on 0.5: still patient
        False
        >>> trial.report(0.5, step=4)  # a tie is no improvement
        >>> trial.should_prune()
        True
    """

    def __init__(
        self, wrapped: BasePruner | None, *, patience: int, min_delta: float = 0.0
    ) -> None:
        owner = "PatientPruner"
        if wrapped is not None and not isinstance(wrapped, BasePruner):
            raise TypeError(
                f"{owner}: `wrapped` must be a tunesmith pruner or None, but got "
                f"wrapped={wrapped!r}."
            )
        self._wrapped = wrapped
        self._patience = check_int(patience, "patience", low=0, owner=owner)
        self._min_delta = check_float(
            min_delta,
            "min_delta",
            low=0.0,
            high=sys.float_info.max,
            owner=owner,
            rule="a finite number >= 0",
        )

    def __repr__(self) -> str:
        return (
            f"PatientPruner({self._wrapped!r}, patience={self._patience}, "
            f"min_delta={self._min_delta!r})"
        )

    def prune(self, context: PruningContext, trial: FrozenTrial) -> bool:
        reported = trial.intermediate_values
        if not reported:
            return False
        sign = _sign(context.directions[0])
        start = max(reported) - self._patience  # first step of the recent window
        earlier = recent = math.inf
        any_earlier = False
        for step, value in reported.items():
            loss = _loss(value, sign)
            if step < start:
                any_earlier = True
                earlier = min(earlier, loss)
            else:
                recent = min(recent, loss)
        if not any_earlier or recent < earlier - self._min_delta:
            return False
        return self._wrapped is None or self._wrapped.prune(context, trial)
