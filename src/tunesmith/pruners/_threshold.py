"""Threshold pruning: stop a trial whose latest value leaves a fixed range."""

from __future__ import annotations

import math
from typing import Any

from .._checks import check_float_or_none, check_int
from ..records import FrozenTrial
from ._base import BasePruner, PruningContext
from ._common import _decision_step

__all__ = ["ThresholdPruner"]


class ThresholdPruner(BasePruner):
    """Prunes a trial whose latest value is below ``lower``, above ``upper``, or not finite.

    The value looked at is the one of the trial's latest reported step ``s``, and only when
    ``s >= n_warmup_steps`` and ``s`` is the first reported step of its interval of
    ``interval_steps`` steps counted from ``n_warmup_steps`` (with a report at every step:
    ``(s - n_warmup_steps) % interval_steps == 0``). A NaN or +-inf value is pruned whatever the
    bounds. The study's direction and the other trials play no part: use it to stop diverging
    runs (a loss above 1e3, a NaN) or hopeless ones (an accuracy below chance).

    Args:
        lower: Prune a value below this (``None``: no lower bound).
        upper: Prune a value above this (``None``: no upper bound). At least one bound is
            needed, and ``lower <= upper``.
        n_warmup_steps: No pruning at steps below this.
        interval_steps: Decide once every this many steps after the warm-up.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(pruner=ts.pruners.ThresholdPruner(upper=10.0))
        >>> trial = study.ask()
        >>> trial.report(3.0, step=0)
        >>> trial.should_prune()
        False
        >>> trial.report(float("nan"), step=1)
        >>> trial.should_prune()
        True
    """

    def __init__(
        self,
        *,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        owner = "ThresholdPruner"
        if lower is None and upper is None:
            raise ValueError(
                f"{owner}: give `lower`, `upper` or both, but got lower=None and upper=None."
            )
        self._lower = _bound(owner, "lower", lower)
        self._upper = _bound(owner, "upper", upper)
        if self._lower is not None and self._upper is not None and self._lower > self._upper:
            raise ValueError(
                f"{owner}: `lower <= upper` must hold, but got (lower={lower!r}, upper={upper!r})."
            )
        self._n_warmup_steps = check_int(n_warmup_steps, "n_warmup_steps", low=0, owner=owner)
        self._interval_steps = check_int(interval_steps, "interval_steps", low=1, owner=owner)

    def __repr__(self) -> str:
        return (
            f"ThresholdPruner(lower={self._lower!r}, upper={self._upper!r}, "
            f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps})"
        )

    def prune(self, context: PruningContext, trial: FrozenTrial) -> bool:
        reported = trial.intermediate_values
        step = _decision_step(reported, self._n_warmup_steps, self._interval_steps)
        if step is None:
            return False
        value = reported[step]
        return (
            not math.isfinite(value)
            or (self._lower is not None and value < self._lower)
            or (self._upper is not None and value > self._upper)
        )


def _bound(owner: str, name: str, value: Any) -> float | None:
    return check_float_or_none(value, name, owner=owner, rule="a number (not NaN) or None")
