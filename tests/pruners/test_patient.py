"""PatientPruner: stalls measured over the last steps, alone or with a wrapped pruner."""

from __future__ import annotations

import pytest

import tunesmith as ts
from tunesmith.pruners import BasePruner, MedianPruner, PatientPruner

from ._curves import INF, NAN, decisions, running, study_of


class Always(BasePruner):
    """Says ``answer`` and counts how often it was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.calls = 0

    def prune(self, context: ts.pruners.PruningContext, trial: ts.FrozenTrial) -> bool:
        self.calls += 1
        return self.answer


@pytest.mark.parametrize(
    ("patience", "curve", "expected"),
    [
        # patience 0: prune at the first report that does not beat the best before it
        (0, [1.0, 0.8, 0.8, 0.7, 0.9], [False, False, True, False, True]),
        # patience 2: steps s-2..s are the recent window; it needs an earlier step
        (2, [0.9, 0.5, 0.6, 0.7, 0.5, 0.4], [False, False, False, False, True, False]),
        (2, [1.0, 0.9, 0.8, 0.7, 0.6], [False] * 5),  # always improving
        (3, [1.0] * 4, [False] * 4),  # no earlier step yet
        (3, [1.0] * 5, [False] * 4 + [True]),
    ],
)
def test_patience_minimize(patience: int, curve: list[float], expected: list[bool]) -> None:
    assert decisions(PatientPruner(None, patience=patience), study_of(), curve) == expected


def test_patience_maximize() -> None:
    pruner = PatientPruner(None, patience=1)
    study = study_of(direction="maximize")
    assert decisions(pruner, study, [0.1, 0.3, 0.2, 0.3, 0.4, 0.35, 0.3]) == [
        False,
        False,
        False,  # 0.2, 0.3 recent vs 0.1 before
        True,  # 0.2, 0.3 vs 0.3: a tie is no improvement
        False,
        False,
        True,
    ]


@pytest.mark.parametrize(
    ("direction", "curve", "min_delta", "pruned"),
    [
        ("minimize", [1.0, 0.95], 0.1, True),  # improved by 0.05, not by more than 0.1
        ("minimize", [1.0, 0.95], 0.01, False),
        ("minimize", [1.0, 0.9], 0.1, True),  # exactly min_delta is not more than it
        ("maximize", [1.0, 1.05], 0.1, True),
        ("maximize", [1.0, 1.05], 0.01, False),
        ("maximize", [1.0, 1.2], 0.1, False),
    ],
)
def test_min_delta(direction: str, curve: list[float], min_delta: float, pruned: bool) -> None:
    pruner = PatientPruner(None, patience=0, min_delta=min_delta)
    assert pruner.prune(study_of(direction=direction), running(curve)) is pruned


def test_patience_counts_steps_not_reports() -> None:
    # Reports every 10 steps with patience 5: the window s-5..s holds the latest report only.
    pruner = PatientPruner(None, patience=5)
    assert decisions(pruner, study_of(), {0: 1.0, 10: 0.5, 20: 0.6, 30: 0.4}) == [
        False,
        False,
        True,
        False,
    ]
    # Patience 15 at step 20: the window 5..20 holds 0.5 and 0.6, the earlier part 1.0.
    assert (
        PatientPruner(None, patience=15).prune(study_of(), running({0: 1.0, 10: 0.5, 20: 0.6}))
        is False
    )


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_non_finite_values_count_as_the_worst(direction: str) -> None:
    pruner = PatientPruner(None, patience=0)
    study = study_of(direction=direction)
    assert pruner.prune(study, running([NAN, 1.0])) is False  # anything beats NaN
    assert pruner.prune(study, running([1.0, NAN])) is True
    assert pruner.prune(study, running([NAN, NAN])) is True  # no improvement
    assert pruner.prune(study, running([1.0, INF])) is True
    assert pruner.prune(study, running([1.0, -INF])) is True


def test_wrapped_pruner_must_agree() -> None:
    study = study_of()
    stalled, improving = running([1.0, 1.0]), running([1.0, 0.5])
    yes, no = Always(True), Always(False)
    assert PatientPruner(yes, patience=0).prune(study, stalled) is True
    assert PatientPruner(no, patience=0).prune(study, stalled) is False
    assert PatientPruner(yes, patience=0).prune(study, improving) is False
    assert (yes.calls, no.calls) == (1, 1)  # not asked about the improving trial


def test_wrapping_a_median_pruner() -> None:
    # Others at 1..5 at every step: median 3.
    study = study_of(*[[v] * 6 for v in (1.0, 2.0, 3.0, 4.0, 5.0)])
    pruner = PatientPruner(MedianPruner(), patience=1)
    assert pruner.prune(study, running([4.0, 4.0, 4.0])) is True  # stalled and bad
    assert pruner.prune(study, running([2.0, 2.0, 2.0])) is False  # stalled but good
    assert pruner.prune(study, running([9.0, 8.0, 7.0])) is False  # bad but improving
    assert MedianPruner().prune(study, running([9.0, 8.0, 7.0])) is True


def test_through_should_prune() -> None:
    study = ts.create_study(pruner=PatientPruner(None, patience=1))
    trial = study.ask()
    outcomes = []
    for step, loss in enumerate([1.0, 0.5, 0.6, 0.55]):
        trial.report(loss, step)
        outcomes.append(trial.should_prune())
    assert outcomes == [False, False, False, True]


def test_repr() -> None:
    assert repr(PatientPruner(MedianPruner(), patience=3, min_delta=0.5)) == (
        "PatientPruner(MedianPruner(n_startup_trials=5, n_warmup_steps=0, interval_steps=1, "
        "n_min_trials=1), patience=3, min_delta=0.5)"
    )
    assert repr(PatientPruner(None, patience=0)) == "PatientPruner(None, patience=0, min_delta=0.0)"
