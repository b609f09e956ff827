"""PercentilePruner and MedianPruner on hand-made curves with known outcomes."""

from __future__ import annotations

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.pruners import MedianPruner, PercentilePruner
from tunesmith.pruners._percentile import _percentile

from ._curves import INF, NAN, decisions, finished, running, study_of

FLAT = [[v] * 5 for v in (1.0, 2.0, 3.0, 4.0, 5.0)]  # five finished trials, flat curves


@pytest.mark.parametrize(
    ("value", "pruned"),
    [(2.5, False), (3.0, False), (3.5, True)],  # the median at step 0 is 3.0; a tie is kept
)
def test_median_minimize(value: float, pruned: bool) -> None:
    study = study_of(*FLAT)
    assert MedianPruner().prune(study, running([value])) is pruned


@pytest.mark.parametrize(("value", "pruned"), [(3.5, False), (3.0, False), (2.5, True)])
def test_median_maximize(value: float, pruned: bool) -> None:
    study = study_of(*FLAT, direction="maximize")
    assert MedianPruner().prune(study, running([value])) is pruned


@pytest.mark.parametrize(
    ("direction", "percentile", "value", "pruned"),
    [
        # minimize: the 25th percentile of 1..5 is 2.0, the 75th is 4.0
        ("minimize", 25.0, 1.9, False),
        ("minimize", 25.0, 2.5, True),
        ("minimize", 75.0, 3.9, False),
        ("minimize", 75.0, 4.5, True),
        # maximize: percentile 25 keeps the best quarter, values >= 4.0
        ("maximize", 25.0, 4.5, False),
        ("maximize", 25.0, 3.5, True),
        ("maximize", 75.0, 2.5, False),
        ("maximize", 75.0, 1.5, True),
        # the extremes: 0 keeps only what ties the best, 100 keeps all but the worse than worst
        ("minimize", 0.0, 1.0, False),
        ("minimize", 0.0, 1.01, True),
        ("minimize", 100.0, 5.0, False),
        ("minimize", 100.0, 5.01, True),
    ],
)
def test_percentile_threshold(
    direction: str, percentile: float, value: float, pruned: bool
) -> None:
    study = study_of(*FLAT, direction=direction)
    pruner = PercentilePruner(percentile)
    assert pruner.prune(study, running([value])) is pruned


def test_percentile_interpolates_like_numpy() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 7, 50):
        values = sorted(rng.normal(size=n).tolist())
        for q in (0.0, 12.5, 25.0, 50.0, 90.0, 100.0):
            assert _percentile(values, q) == pytest.approx(np.percentile(values, q))
    assert _percentile([1.0, 2.0, 3.0, 4.0], 25.0) == 1.75
    assert _percentile([1.0, INF, INF], 50.0) == INF  # no inf - inf = nan
    assert _percentile([1.0, 2.0, INF], 75.0) == INF


def test_the_trial_counts_its_best_value_so_far() -> None:
    # Others are at 2..6 at step 1 (median 4); the trial is at 10 now but was at 1 at step 0.
    study = study_of(*[[v, v] for v in (2.0, 3.0, 4.0, 5.0, 6.0)])
    assert MedianPruner().prune(study, running([1.0, 10.0])) is False
    assert MedianPruner().prune(study, running([10.0, 10.0])) is True


def test_the_others_count_their_value_at_the_step() -> None:
    # The others were at 0 at step 0 but are at 5 at step 1: at step 1 the median is 5.
    study = study_of(*[[0.0, 5.0]] * 5)
    assert MedianPruner().prune(study, running([4.5])) is True  # step 0: median 0
    assert MedianPruner().prune(study, running([9.0, 4.5])) is False  # step 1: best 4.5 < 5


def test_startup_counts_complete_and_pruned_trials_only() -> None:
    bad = [10.0]
    study = study_of(*FLAT[:4])
    pruner = MedianPruner(n_startup_trials=5)
    assert pruner.prune(study, running(bad)) is False  # 4 finished trials
    for _ in range(3):  # RUNNING trials with reports do not count, nor do FAIL ones
        study.ask().report(0.0, step=0)
    study.add_trial(finished([0.0], state=ts.TrialState.FAIL))
    assert pruner.prune(study, running(bad)) is False
    study.add_trial(finished([5.0], state=ts.TrialState.PRUNED))
    assert pruner.prune(study, running(bad)) is True  # the fifth finished trial
    assert MedianPruner(n_startup_trials=0).prune(study_of(), running(bad)) is False  # no one


def test_running_and_failed_curves_do_not_move_the_percentile() -> None:
    study = study_of(*FLAT)  # median 3
    for _ in range(5):
        study.ask().report(100.0, step=0)  # would raise the median to 5 if counted
    study.add_trials([finished([100.0] * 5, state=ts.TrialState.FAIL)] * 5)
    assert MedianPruner().prune(study, running([4.0])) is True


def test_pruned_trials_are_compared_against() -> None:
    # Three COMPLETE trials at 1, 2, 3 and two PRUNED at 8, 9 that reached step 0: median 3.
    study = study_of([1.0], [2.0], [3.0])
    study.add_trials([finished([v], state=ts.TrialState.PRUNED) for v in (8.0, 9.0)])
    assert MedianPruner().prune(study, running([2.9])) is False
    assert MedianPruner().prune(study, running([3.1])) is True


def test_the_trial_is_not_among_the_others() -> None:
    # Asked about a stored, finished trial: it is compared with the four others (median 3),
    # not with itself too (which would make the median 3.5, a tie).
    study = study_of([1.0], [2.0], [4.0], [5.0], [3.5])
    assert MedianPruner(n_startup_trials=0).prune(study, study.trials[4]) is True


def test_warmup_steps() -> None:
    study = study_of(*FLAT)
    assert decisions(MedianPruner(n_warmup_steps=2), study, [9.0] * 5) == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_interval_steps_after_warmup() -> None:
    study = study_of(*[[v] * 12 for v in (1.0, 2.0, 3.0, 4.0, 5.0)])
    pruner = MedianPruner(n_warmup_steps=1, interval_steps=3)
    # Decisions at steps 1, 4, 7, 10 only.
    expected = [s >= 1 and (s - 1) % 3 == 0 for s in range(12)]
    assert decisions(pruner, study, [9.0] * 12) == expected


def test_interval_steps_with_sparse_reports() -> None:
    # Reports at steps 0, 2, 4, 6, 9 with intervals [0, 3), [3, 6), [6, 9), [9, 12): the first
    # report in each interval decides, even if it is not a multiple of 3.
    study = study_of(*[[v] * 12 for v in (1.0, 2.0, 3.0, 4.0, 5.0)])
    pruner = MedianPruner(interval_steps=3)
    curve = {0: 9.0, 2: 9.0, 4: 9.0, 6: 9.0, 9: 9.0}
    assert decisions(pruner, study, curve) == [True, False, True, True, True]


def test_n_min_trials_counts_the_trials_that_reported_the_step() -> None:
    # Five finished trials reached step 1; only two of them reported step 2.
    study = study_of(*[[v, v] for v in (1.0, 2.0, 3.0)], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0])
    bad = [9.0, 9.0, 9.0]
    assert MedianPruner(n_min_trials=3).prune(study, running(bad)) is False
    assert MedianPruner(n_min_trials=2).prune(study, running(bad)) is True
    assert MedianPruner(n_min_trials=3).prune(study, running(bad[:2])) is True  # step 1: 5
    # A step no finished trial reported is never pruned.
    assert MedianPruner().prune(study, running([9.0] * 4)) is False


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_non_finite_values_count_as_the_worst(direction: str) -> None:
    study = study_of(*FLAT, direction=direction)
    for worst in (NAN, INF, -INF):
        assert MedianPruner().prune(study, running([worst])) is True
    assert MedianPruner().prune(study, running([NAN, 3.0])) is False  # its best is 3 (a tie)
    # Three of five others are NaN at step 0: the median is the worst value, nothing is worse.
    study = study_of([NAN], [NAN], [NAN], [1.0], [2.0], direction=direction)
    terrible, fair = (1e9, 2.5) if direction == "minimize" else (-1e9, 0.5)
    assert MedianPruner().prune(study, running([terrible])) is False
    assert MedianPruner().prune(study, running([NAN])) is False
    # The 25th percentile is still finite (2 when minimizing, 1 when maximizing).
    assert PercentilePruner(25.0).prune(study, running([fair])) is True


def test_median_is_the_50th_percentile() -> None:
    study = study_of(*[[float(v), float(10 - v), float(v % 3)] for v in range(9)])
    for curve in ([3.0], [5.0], [4.0, 6.0], [1.0, 9.0, 2.0], [9.0, 9.0, 0.5]):
        kwargs = {"n_startup_trials": 3, "n_warmup_steps": 1, "interval_steps": 1}
        assert MedianPruner(**kwargs).prune(study, running(curve)) == PercentilePruner(
            50, **kwargs
        ).prune(study, running(curve))


def test_through_should_prune() -> None:
    pruner = MedianPruner(n_startup_trials=2)
    study = ts.create_study(pruner=pruner)
    study.add_trials([finished([1.0, 0.5, 0.25]), finished([2.0, 1.0, 0.5])])  # medians 1.5, .75
    good, bad = study.ask(), study.ask()
    good.report(1.2, step=0)
    bad.report(1.8, step=0)
    assert (good.should_prune(), bad.should_prune()) == (False, True)
    study.tell(bad, state="PRUNED")
    good.report(0.7, step=1)
    assert good.should_prune() is False
    good.report(0.8, step=2)  # its best so far (0.7) is worse than the median, 0.375
    assert good.should_prune() is True
    assert study.trials[bad.number].values == (1.8,)


def test_repr() -> None:
    assert repr(PercentilePruner(25)) == (
        "PercentilePruner(percentile=25.0, n_startup_trials=5, n_warmup_steps=0, "
        "interval_steps=1, n_min_trials=1)"
    )
    assert repr(MedianPruner(n_warmup_steps=3)) == (
        "MedianPruner(n_startup_trials=5, n_warmup_steps=3, interval_steps=1, n_min_trials=1)"
    )
