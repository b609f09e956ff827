"""Hand-made learning curves and the studies that hold them, shared by the pruner tests.

A curve is a list (the value at steps 0, 1, 2, ...) or a dict step -> value (sparse reports).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone

import tunesmith as ts
from tunesmith.pruners import BasePruner

Curve = Sequence[float] | Mapping[int, float]
NAN = float("nan")
INF = float("inf")


def as_steps(curve: Curve) -> dict[int, float]:
    return dict(curve) if isinstance(curve, Mapping) else dict(enumerate(curve))


def finished(
    curve: Curve,
    *,
    state: ts.TrialState = ts.TrialState.COMPLETE,
    value: float | None = None,
    completed_at: datetime | None = None,
) -> ts.FrozenTrial:
    """A finished trial with ``curve`` as its reports; a COMPLETE one's value defaults to the
    last reported value (0.0 if that is not finite)."""
    steps = as_steps(curve)
    if value is None and state is ts.TrialState.COMPLETE:
        last = steps[max(steps)] if steps else 0.0
        value = last if math.isfinite(last) else 0.0
    trial = ts.create_trial(
        params={}, distributions={}, value=value, intermediate_values=steps, state=state
    )
    if completed_at is not None:
        trial = trial.with_changes(datetime_complete=completed_at)
    return trial


def study_of(
    *curves: Curve,
    direction: str = "minimize",
    state: ts.TrialState = ts.TrialState.COMPLETE,
    study_name: str | None = None,
) -> ts.Study:
    """An in-memory study holding one finished trial per curve (numbers 0, 1, ...)."""
    study = ts.create_study(
        direction=direction,  # type: ignore[arg-type]
        study_name=study_name,
        pruner=ts.pruners.NopPruner(),
    )
    study.add_trials([finished(c, state=state) for c in curves])
    return study


def running(curve: Curve, number: int = 10_000) -> ts.FrozenTrial:
    """Snapshot of a RUNNING trial that reported ``curve`` (not stored in any study)."""
    return ts.FrozenTrial(
        number=number, state=ts.TrialState.RUNNING, intermediate_values=as_steps(curve)
    )


def decisions(
    pruner: BasePruner, study: ts.Study, curve: Curve, number: int = 10_000
) -> list[bool]:
    """The pruner's decision after each report of ``curve`` (at each prefix), in step order."""
    steps = sorted(as_steps(curve).items())
    return [pruner.prune(study, running(dict(steps[: i + 1]), number)) for i in range(len(steps))]


def at(seconds: float) -> datetime:
    """A fixed completion time, ``seconds`` after an arbitrary origin."""
    return datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds)
