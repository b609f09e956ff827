"""SuccessiveHalvingPruner (ASHA): rungs, promotion, bootstrap, "auto" min_resource."""

from __future__ import annotations

import pytest

import tunesmith as ts
from tunesmith.pruners import SuccessiveHalvingPruner

from ._curves import NAN, at, decisions, finished, running, study_of


def rungs_hit(pruner: SuccessiveHalvingPruner, n_steps: int) -> list[int]:
    """Steps at which a trial always worse than one finished trial is pruned: the rungs."""
    study = study_of([0.0] * n_steps)
    return [s for s, p in enumerate(decisions(pruner, study, [1.0] * n_steps)) if p]


@pytest.mark.parametrize(
    ("kwargs", "rungs"),
    [
        ({"min_resource": 1, "reduction_factor": 3}, [1, 3, 9, 27]),
        ({"min_resource": 1, "reduction_factor": 3, "min_early_stopping_rate": 1}, [3, 9, 27]),
        ({"min_resource": 2, "reduction_factor": 2}, [2, 4, 8, 16, 32]),
        ({"min_resource": 5, "reduction_factor": 4}, [5, 20]),
        ({"min_resource": 1, "reduction_factor": 2, "min_early_stopping_rate": 2}, [4, 8, 16, 32]),
    ],
)
def test_rung_steps(kwargs: dict[str, int], rungs: list[int]) -> None:
    assert rungs_hit(SuccessiveHalvingPruner(**kwargs), 40) == rungs


def test_a_report_that_jumps_over_rungs_is_judged_there() -> None:
    # Rungs 1, 3, 9: the reports at 2, 5 and 10 are the first beyond each.
    study = study_of([0.0] * 12)
    pruner = SuccessiveHalvingPruner(min_resource=1)
    curve = {0: 1.0, 2: 1.0, 5: 1.0, 7: 1.0, 10: 1.0, 11: 1.0}
    assert decisions(pruner, study, curve) == [False, True, True, False, True, False]
    # One report from step 0 to step 10 passes all three rungs at once.
    assert pruner.prune(study, running({0: 1.0, 10: 1.0})) is True
    assert pruner.prune(study, running({0: 1.0, 10: -1.0})) is False


@pytest.mark.parametrize(
    ("direction", "value", "pruned"),
    [
        # Eight others at 1..8 at rung 1 and the trial: 9 values, the top 9 // 3 = 3 go on.
        ("minimize", 2.5, False),  # 2 better
        ("minimize", 3.0, False),  # a tie with the third
        ("minimize", 3.5, True),  # 3 better
        ("maximize", 6.5, False),
        ("maximize", 6.0, False),
        ("maximize", 5.5, True),
    ],
)
def test_top_third_is_promoted(direction: str, value: float, pruned: bool) -> None:
    study = study_of(*[[9.0, float(v)] for v in range(1, 9)], direction=direction)
    pruner = SuccessiveHalvingPruner(min_resource=1)
    assert pruner.prune(study, running([9.0, value])) is pruned


def test_the_first_trials_at_a_rung_go_on_only_if_best() -> None:
    # Fewer than reduction_factor trials at the rung: max(1, n // 3) = 1, the best goes on.
    pruner = SuccessiveHalvingPruner(min_resource=1)
    study = study_of([0.0, 1.0])
    assert pruner.prune(study, running([0.0, 0.5])) is False
    assert pruner.prune(study, running([0.0, 1.5])) is True
    assert pruner.prune(study_of(), running([0.0, 99.0])) is False  # alone: the best


def test_every_trial_that_reached_the_rung_competes_whatever_its_state() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1)
    for state in (ts.TrialState.PRUNED, ts.TrialState.FAIL):
        study = study_of([0.0, 0.1], state=state)
        assert pruner.prune(study, running([0.0, 0.5])) is True
    study = study_of()
    other = study.ask()
    other.report(0.0, step=0)
    other.report(0.1, step=1)  # RUNNING, already at rung 1
    assert pruner.prune(study, running([0.0, 0.5])) is True
    # A trial that has not reached the rung does not compete.
    assert pruner.prune(study_of([0.0]), running([0.0, 0.5])) is False


def test_the_trial_itself_counts_once_with_its_snapshot() -> None:
    # Its stored copy (the RUNNING trial in the study) is replaced by the snapshot: 3 trials
    # at rung 1, not 4, so bootstrap_count=4 holds the pruning back.
    study = study_of([0.0, 1.0], [0.0, 2.0])
    trial = study.ask()
    trial.report(0.0, step=0)
    trial.report(1.5, step=1)  # 1 of 3 better, 3 // 3 = 1: pruned
    snapshot = study.trials[trial.number]
    assert snapshot.state is ts.TrialState.RUNNING
    assert SuccessiveHalvingPruner(min_resource=1).prune(study, snapshot) is True
    assert (
        SuccessiveHalvingPruner(min_resource=1, bootstrap_count=4).prune(study, snapshot) is False
    )
    better = running({0: 0.0, 1: 0.5}, number=trial.number)  # the snapshot wins over the copy
    assert SuccessiveHalvingPruner(min_resource=1).prune(study, better) is False


def test_value_at_a_rung_is_the_first_report_at_or_after_it() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1)
    # The other trial skipped step 1: its value at rung 1 is its value at step 2 (0.1), not
    # at step 0 (5.0).
    study = study_of({0: 5.0, 2: 0.1})
    assert pruner.prune(study, running([9.0, 0.5])) is True
    assert pruner.prune(study, running([9.0, 0.05])) is False
    # At rung 3 it has no value (it stopped at step 2).
    assert pruner.prune(study, running([9.0, 0.05, 9.0, 9.0])) is False


def test_bootstrap_count() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, bootstrap_count=3)
    bad = [0.0, 9.0]
    assert pruner.prune(study_of([0.0, 1.0]), running(bad)) is False  # 2 at the rung
    assert pruner.prune(study_of([0.0, 1.0], [0.0, 2.0]), running(bad)) is True  # 3
    # bootstrap_count 0 and 1 change nothing.
    for count in (0, 1):
        p = SuccessiveHalvingPruner(min_resource=1, bootstrap_count=count)
        assert p.prune(study_of([0.0, 1.0]), running(bad)) is True


def test_auto_min_resource_waits_for_a_complete_trial() -> None:
    pruner = SuccessiveHalvingPruner()  # min_resource="auto"
    study = study_of([0.0] * 10, state=ts.TrialState.PRUNED)
    other = study.ask()
    for step in range(10):
        other.report(0.0, step)
    assert not any(decisions(pruner, study, [1.0] * 10))
    # The first COMPLETE trial reported up to step 9: min_resource = max(1, 9 // 100) = 1.
    study.add_trial(finished([0.0] * 10))
    assert [s for s, p in enumerate(decisions(pruner, study, [1.0] * 10)) if p] == [1, 3, 9]


def test_auto_min_resource_comes_from_the_first_complete_trial() -> None:
    # Completed first (by datetime_complete) with steps up to 299: min_resource = 2, rungs at
    # 2, 6, 18, 54, 162; a later trial that went to step 999 (min_resource 9) changes nothing,
    # whichever number it has.
    study = study_of()
    study.add_trial(finished([0.0] * 1000, completed_at=at(10)))
    study.add_trial(finished([0.0] * 300, completed_at=at(0)))
    pruner = SuccessiveHalvingPruner()
    hits = [s for s, p in enumerate(decisions(pruner, study, [1.0] * 300)) if p]
    assert hits == [2, 6, 18, 54, 162]
    assert "min_resource='auto'" in repr(pruner)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_non_finite_values_count_as_the_worst(direction: str) -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1)
    good, bad = (1.0, 1e9) if direction == "minimize" else (-1.0, -1e9)
    assert pruner.prune(study_of([0.0, good], direction=direction), running([0.0, NAN])) is True
    assert pruner.prune(study_of([0.0, NAN], direction=direction), running([0.0, bad])) is False
    # Alone at a rung, even a NaN trial is the best there (ThresholdPruner stops NaNs).
    assert pruner.prune(study_of(direction=direction), running([0.0, NAN])) is False


def test_through_should_prune() -> None:
    study = ts.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    leader = study.ask()
    for step, loss in enumerate([1.0, 0.5, 0.25, 0.2, 0.1]):
        leader.report(loss, step)
        assert leader.should_prune() is False  # always the best at every rung
    study.tell(leader, 0.1)
    follower = study.ask()
    outcomes = []
    for step, loss in enumerate([1.0, 0.4, 0.3, 0.2, 0.15]):
        follower.report(loss, step)
        outcomes.append(follower.should_prune())
    # Rung 1 (0.4 < 0.5): on; rung 2 (0.3 > 0.25, 1 of 2 better): pruned.
    assert outcomes[:3] == [False, False, True]


def test_repr() -> None:
    assert repr(SuccessiveHalvingPruner(min_resource=2, bootstrap_count=1)) == (
        "SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, "
        "min_early_stopping_rate=0, bootstrap_count=1)"
    )
