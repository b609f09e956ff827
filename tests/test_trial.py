"""The live ``Trial`` (define-by-run) and the immutable ``FrozenTrial`` record."""

from __future__ import annotations

import dataclasses
import math
from datetime import timedelta

import pytest
import scipy.stats

import tunesmith as ts


def _study(**kwargs: object) -> ts.Study:
    return ts.create_study(seed=0, **kwargs)  # type: ignore[arg-type]


# -- suggest_* ---------------------------------------------------------------------------------


def test_suggest_float_int_categorical_stay_in_their_domains() -> None:
    study = _study()
    for _ in range(30):
        trial = study.ask()
        x = trial.suggest_float("x", -2.0, 3.0)
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
        n = trial.suggest_int("n", 1, 9, step=2)
        k = trial.suggest_int("k", 1, 1024, log=True)
        act = trial.suggest_categorical("act", ["relu", "gelu", None])
        assert isinstance(x, float) and -2.0 <= x <= 3.0
        assert isinstance(lr, float) and 1e-5 <= lr <= 1e-1
        assert q in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert type(n) is int and n in (1, 3, 5, 7, 9)
        assert type(k) is int and 1 <= k <= 1024
        assert act in ("relu", "gelu", None)
        study.tell(trial, x)


def test_suggest_records_params_and_distributions() -> None:
    study = _study()
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    c = trial.suggest_categorical("c", ["a", "b"])
    assert trial.params == {"x": x, "c": c}
    assert trial.distributions == {"x": ts.Float(0, 1), "c": ts.Categorical(["a", "b"])}
    frozen = study.tell(trial, 1.0)
    assert frozen.params == {"x": x, "c": c}
    assert frozen.distributions == trial.distributions


def test_suggest_generic_accepts_distributions_lists_and_scipy() -> None:
    study = _study()
    trial = study.ask()
    a = trial.suggest("a", ts.Int(0, 3))
    b = trial.suggest("b", [1, 10, 100])
    c = trial.suggest("c", scipy.stats.loguniform(1e-3, 1.0))
    d = trial.suggest("d", scipy.stats.norm(0, 1))
    assert a in range(4)
    assert b in (1, 10, 100)
    assert 1e-3 <= c <= 1.0
    assert isinstance(d, float) and math.isfinite(d)
    assert trial.distributions["b"] == ts.Categorical([1, 10, 100])
    assert trial.distributions["c"] == ts.Float(1e-3, 1.0, log=True)


def test_suggesting_the_same_name_again_returns_the_same_value() -> None:
    study = _study()
    trial = study.ask()
    first = trial.suggest_float("x", 0, 1)
    assert trial.suggest_float("x", 0, 1) == first
    assert trial.suggest("x", ts.Float(0, 1)) == first


def test_same_name_with_another_distribution_in_one_trial_is_refused() -> None:
    study = _study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    with pytest.raises(ValueError, match=r"'x'.*already drawn in trial 0.*Float.*Float") as info:
        trial.suggest_float("x", 0, 2)
    assert "high=2.0" in str(info.value)  # names what was given
    with pytest.raises(ValueError, match=r"'x'"):
        trial.suggest_int("x", 0, 1)


def test_same_name_with_another_distribution_in_a_later_trial_is_refused() -> None:
    study = _study()
    first = study.ask()
    first.suggest_float("x", 0, 1)
    study.tell(first, 0.0)
    second = study.ask()
    with pytest.raises(ValueError, match=r"'x'.*earlier trials.*Int\(low=0, high=5"):
        second.suggest_int("x", 0, 5)
    # the unchanged domain is still fine
    assert 0 <= second.suggest_float("x", 0, 1) <= 1


def test_invalid_distribution_arguments_name_the_argument() -> None:
    trial = _study().ask()
    with pytest.raises(ValueError, match=r"low <= high.*low=5.*high=1"):
        trial.suggest_float("x", 5, 1)
    with pytest.raises(ValueError, match=r"log=True needs `low > 0`"):
        trial.suggest_float("y", 0, 1, log=True)
    with pytest.raises(ValueError, match=r"choices.*must not be empty"):
        trial.suggest_categorical("z", [])
    with pytest.raises(TypeError, match=r"'w'.*expected a tunesmith distribution"):
        trial.suggest("w", 3.5)
    assert trial.params == {}


# -- report, user attributes, constraints -------------------------------------------------------


def test_report_stores_intermediate_values_at_once_and_keeps_the_first_per_step() -> None:
    study = _study()
    trial = study.ask()
    trial.report(0.9, 0)
    trial.report(0.5, 1)
    trial.report(0.1, 1)  # a retried step keeps its first value
    assert trial.intermediate_values == {0: 0.9, 1: 0.5}
    # already in the storage while the trial runs
    stored = study.trials[trial.number]
    assert stored.state is ts.TrialState.RUNNING
    assert stored.intermediate_values == {0: 0.9, 1: 0.5}
    frozen = study.tell(trial, 0.4)
    assert frozen.intermediate_values == {0: 0.9, 1: 0.5}


class _PruneAbove(ts.pruners.BasePruner):
    """Prunes when the latest report exceeds ``limit``; records what it was shown."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.seen: list[ts.FrozenTrial] = []
        self.others: list[int] = []

    def prune(self, context: ts.pruners.PruningContext, trial: ts.FrozenTrial) -> bool:
        self.seen.append(trial)
        self.others.append(sum(t.state is ts.TrialState.COMPLETE for t in context.trials))
        return trial.intermediate_values[max(trial.intermediate_values)] > self.limit


def test_should_prune_asks_the_pruner_with_a_snapshot_of_the_running_trial() -> None:
    pruner = _PruneAbove(1.0)
    study = _study(pruner=pruner)
    study.tell(study.ask(), 0.0)
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.set_user_attr("epochs", 2)
    trial.report(0.5, 0)
    assert trial.should_prune() is False
    trial.report(2.0, 1)
    assert trial.should_prune() is True
    shown = pruner.seen[-1]
    assert shown.number == trial.number and shown.state is ts.TrialState.RUNNING
    assert shown.intermediate_values == {0: 0.5, 1: 2.0}
    assert shown.params == {"x": x} and shown.user_attrs == {"epochs": 2}
    assert pruner.others == [1, 1]  # the pruner reads the other trials through the study
    with pytest.raises(TypeError, match="read-only"):
        shown.intermediate_values[2] = 0.0


def test_should_prune_without_reports_is_false_and_does_not_ask_the_pruner() -> None:
    pruner = _PruneAbove(-math.inf)
    trial = _study(pruner=pruner).ask()
    assert trial.should_prune() is False
    assert pruner.seen == []


def test_should_prune_on_a_finished_trial_raises() -> None:
    study = _study(pruner=_PruneAbove(0.0))
    trial = study.ask()
    trial.report(1.0, 0)
    study.tell(trial, state="PRUNED")
    with pytest.raises(ts.TrialFinishedError, match="finished"):
        trial.should_prune()


def test_nop_pruner_never_prunes() -> None:
    trial = _study(pruner=ts.pruners.NopPruner()).ask()
    trial.report(math.inf, 0)
    assert trial.should_prune() is False


@pytest.mark.parametrize(
    ("step", "error"), [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("3", TypeError)]
)
def test_report_refuses_a_bad_step(step: object, error: type[Exception]) -> None:
    trial = _study().ask()
    with pytest.raises(error, match=r"`step` must be an int >= 0.*step="):
        trial.report(1.0, step)  # type: ignore[arg-type]


def test_report_refuses_a_non_number() -> None:
    trial = _study().ask()
    with pytest.raises(TypeError, match=r"`value` must be a number.*'abc'"):
        trial.report("abc", 0)  # type: ignore[arg-type]


def test_user_attrs_and_constraints_are_stored_with_the_trial() -> None:
    study = _study()
    trial = study.ask()
    trial.set_user_attr("fold", 3)
    trial.set_user_attr("note", "ok")
    trial.set_constraints([-1.0, 0.0])
    frozen = study.tell(trial, 2.0)
    assert frozen.user_attrs == {"fold": 3, "note": "ok"}
    assert frozen.constraints == (-1.0, 0.0)
    assert frozen.feasible


def test_positive_constraint_makes_a_trial_infeasible() -> None:
    study = _study()
    trial = study.ask()
    trial.set_constraints([0.5])
    assert not study.tell(trial, 1.0).feasible


def test_a_finished_trial_cannot_change() -> None:
    study = _study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    study.tell(trial, 1.0)
    with pytest.raises(ts.TrialFinishedError, match="Trial 0 is finished"):
        trial.suggest_float("y", 0, 1)
    with pytest.raises(ts.TrialFinishedError, match="Trial 0 is finished"):
        trial.report(1.0, 0)
    with pytest.raises(ts.TrialFinishedError, match="Trial 0 is finished"):
        trial.set_user_attr("k", 1)
    with pytest.raises(ts.TrialFinishedError, match="Trial 0 is finished"):
        trial.set_constraints([0.0])


# -- FrozenTrial --------------------------------------------------------------------------------


def test_frozen_trial_fields_cannot_be_assigned() -> None:
    study = _study()
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    study.tell(trial, 1.0)
    frozen = study.trials[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        frozen.state = ts.TrialState.FAIL  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        frozen.values = (0.0,)  # type: ignore[misc]
    assert study.trials[0].state is ts.TrialState.COMPLETE


def test_frozen_trial_mappings_cannot_be_mutated() -> None:
    study = _study()
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    trial.set_user_attr("k", 1)
    trial.report(0.5, 0)
    study.tell(trial, 1.0)
    frozen = study.trials[0]
    with pytest.raises(TypeError, match="read-only"):
        frozen.params["x"] = 99.0
    with pytest.raises(TypeError, match="read-only"):
        frozen.user_attrs.update(k=2)
    with pytest.raises(TypeError, match="read-only"):
        del frozen.intermediate_values[0]
    with pytest.raises(TypeError, match="read-only"):
        frozen.distributions.clear()
    # the records read back unchanged, and copies are ordinary dicts
    assert study.trials[0].params == {"x": x}
    assert study.best_params == {"x": x}
    copy = dict(frozen.params)
    copy["x"] = 2.0
    assert copy == {"x": 2.0}


def test_frozen_trial_times_and_duration() -> None:
    study = _study()
    trial = study.ask()
    running = study.trials[0]
    assert running.datetime_start is not None
    assert running.datetime_complete is None
    assert running.duration is None
    frozen = study.tell(trial, 1.0)
    assert frozen.datetime_start == running.datetime_start
    assert frozen.datetime_complete is not None
    assert frozen.datetime_complete >= frozen.datetime_start
    assert frozen.duration == frozen.datetime_complete - frozen.datetime_start
    assert frozen.duration >= timedelta(0)


def test_frozen_trial_value_of_a_multi_objective_trial_points_to_values() -> None:
    study = ts.create_study(directions=["minimize", "maximize"], seed=0)
    frozen = study.tell(study.ask(), [1.0, 2.0])
    assert frozen.values == (1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"2 values; use `values`"):
        _ = frozen.value


def test_frozen_trial_with_changes_returns_a_copy() -> None:
    study = _study()
    frozen = study.tell(study.ask(), 1.0)
    other = frozen.with_changes(values=(2.0,))
    assert other.values == (2.0,)
    assert frozen.values == (1.0,)


def test_trial_states() -> None:
    assert [s.name for s in ts.TrialState] == ["WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL"]
    finished = {s for s in ts.TrialState if s.is_finished()}
    assert finished == {ts.TrialState.COMPLETE, ts.TrialState.PRUNED, ts.TrialState.FAIL}
