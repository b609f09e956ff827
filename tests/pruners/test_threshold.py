"""ThresholdPruner: fixed bounds on the latest value, warm-up and interval."""

from __future__ import annotations

from typing import Any

import pytest

import tunesmith as ts
from tunesmith.pruners import ThresholdPruner

from ._curves import INF, NAN, decisions, running, study_of


@pytest.mark.parametrize("direction", ["minimize", "maximize"])  # the direction plays no part
@pytest.mark.parametrize(
    ("kwargs", "value", "pruned"),
    [
        ({"upper": 1.0}, 0.5, False),
        ({"upper": 1.0}, 1.0, False),  # on the bound: kept
        ({"upper": 1.0}, 1.01, True),
        ({"upper": 1.0}, -1e300, False),
        ({"lower": 0.0}, 0.0, False),
        ({"lower": 0.0}, -0.01, True),
        ({"lower": 0.0}, 1e300, False),
        ({"lower": 0.0, "upper": 1.0}, 0.5, False),
        ({"lower": 0.0, "upper": 1.0}, -0.5, True),
        ({"lower": 0.0, "upper": 1.0}, 1.5, True),
        ({"lower": 1.0, "upper": 1.0}, 1.0, False),
        ({"upper": INF}, 1e308, False),
        ({"upper": INF}, NAN, True),  # non-finite values always go
        ({"upper": INF}, INF, True),
        ({"lower": -INF}, -INF, True),
        ({"lower": 0.0}, NAN, True),
    ],
)
def test_bounds(direction: str, kwargs: dict[str, Any], value: float, pruned: bool) -> None:
    study = study_of(direction=direction)
    assert ThresholdPruner(**kwargs).prune(study, running([0.5, value])) is pruned


def test_only_the_latest_value_counts() -> None:
    pruner = ThresholdPruner(upper=1.0)
    assert decisions(pruner, study_of(), [5.0, 0.5, NAN, 0.5]) == [True, False, True, False]


def test_warmup_and_interval() -> None:
    pruner = ThresholdPruner(upper=1.0, n_warmup_steps=2, interval_steps=3)
    assert decisions(pruner, study_of(), [9.0] * 10) == [
        s >= 2 and (s - 2) % 3 == 0 for s in range(10)
    ]
    # Sparse reports: the first report of each interval [2, 5), [5, 8), [8, 11) decides.
    curve = {0: 9.0, 3: 9.0, 4: 9.0, 7: 9.0, 10: 9.0}
    assert decisions(pruner, study_of(), curve) == [False, True, False, True, True]


def test_other_trials_play_no_part() -> None:
    pruner = ThresholdPruner(lower=0.0)
    study = study_of(*[[-5.0] * 3] * 5)
    assert pruner.prune(study, running([0.1])) is False


def test_through_should_prune() -> None:
    study = ts.create_study(direction="maximize", pruner=ThresholdPruner(lower=0.1))
    trial = study.ask()
    trial.report(0.5, step=0)
    assert trial.should_prune() is False
    trial.report(0.05, step=1)
    assert trial.should_prune() is True


def test_repr() -> None:
    assert repr(ThresholdPruner(upper=2)) == (
        "ThresholdPruner(lower=None, upper=2.0, n_warmup_steps=0, interval_steps=1)"
    )
