"""Studies: creation and lookup, ask / tell, best trials, enqueue and import, bad input."""

from __future__ import annotations

import copy
import math
import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tunesmith as ts
from tunesmith.storages import InMemoryStorage

COMPLETE, PRUNED, FAIL = ts.TrialState.COMPLETE, ts.TrialState.PRUNED, ts.TrialState.FAIL
RUNNING, WAITING = ts.TrialState.RUNNING, ts.TrialState.WAITING

SPACE = {"lr": ts.Float(1e-4, 1e-1, log=True), "layers": ts.Int(1, 6), "act": ["relu", "gelu"]}


def _sqlite(tmp_path: Path) -> str:
    return "sqlite:///" + str(tmp_path / "x.db")


def _tell_values(study: ts.Study, values: list[Any]) -> None:
    for v in values:
        study.tell(study.ask(), v)


# -- create / load / delete / list ------------------------------------------------------------


def test_create_study_defaults() -> None:
    study = ts.create_study()
    assert study.direction == "minimize"
    assert study.directions == ("minimize",)
    assert study.study_name
    assert isinstance(study.storage, InMemoryStorage)
    assert study.trials == []
    assert study.study_name != ts.create_study().study_name


def test_create_study_with_directions() -> None:
    study = ts.create_study(directions=["minimize", "maximize"])
    assert study.directions == ("minimize", "maximize")
    with pytest.raises(RuntimeError, match="several objectives"):
        _ = study.direction
    assert ts.create_study(directions=["maximize"]).direction == "maximize"


def test_create_load_list_delete_on_one_storage() -> None:
    storage = InMemoryStorage()
    ts.create_study(study_name="a", storage=storage)
    ts.create_study(study_name="b", storage=storage, directions=["minimize", "maximize"])
    summaries = ts.list_studies(storage)
    assert [s.name for s in summaries] == ["a", "b"]
    assert summaries[1].directions == ("minimize", "maximize")
    assert [s.n_trials for s in summaries] == [0, 0]

    loaded = ts.load_study("a", storage)
    loaded.tell(loaded.ask(), 1.0)
    assert ts.load_study(study_name="a", storage=storage).best_value == 1.0
    assert [s.n_trials for s in ts.list_studies(storage)] == [1, 0]

    ts.delete_study("a", storage)
    assert [s.name for s in ts.list_studies(storage)] == ["b"]
    with pytest.raises(ts.StudyNotFoundError, match=r"study_name='a' does not exist.*'b'"):
        ts.load_study("a", storage)


def test_load_missing_study_lists_existing_names(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    ts.create_study(study_name="svm", storage=url)
    ts.create_study(study_name="mlp", storage=url)
    with pytest.raises(
        ts.StudyNotFoundError, match=r"study_name='gbm' does not exist.*'mlp', 'svm'"
    ):
        ts.load_study("gbm", url)
    with pytest.raises(ts.StudyNotFoundError, match="'gbm'"):
        ts.delete_study("gbm", url)
    empty = InMemoryStorage()
    with pytest.raises(ts.StudyNotFoundError, match="holds: none"):
        ts.load_study("gbm", empty)


def test_duplicate_name_needs_load_if_exists() -> None:
    storage = InMemoryStorage()
    first = ts.create_study(study_name="s", storage=storage, direction="maximize")
    first.tell(first.ask(), 3.0)
    with pytest.raises(ts.DuplicatedStudyError, match=r"'s' already exists.*load_if_exists=True"):
        ts.create_study(study_name="s", storage=storage)
    again = ts.create_study(study_name="s", storage=storage, load_if_exists=True)
    assert again.direction == "maximize"
    assert len(again.trials) == 1
    with pytest.raises(ValueError, match=r"exists with directions \['maximize'\].*\['minimize'\]"):
        ts.create_study(study_name="s", storage=storage, direction="minimize", load_if_exists=True)


def test_study_persists_in_sqlite_file(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    study = ts.create_study(study_name="s", storage=url, direction="maximize", seed=0)
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    trial.set_user_attr("note", "first")
    study.tell(trial, x)
    loaded = ts.load_study("s", url)
    assert loaded.direction == "maximize"
    [frozen] = loaded.trials
    assert frozen.params == {"x": x}
    assert frozen.values == (x,)
    assert frozen.user_attrs == {"note": "first"}
    assert frozen.state is COMPLETE
    assert [s.name for s in ts.list_studies(url)] == ["s"]


# -- bad input to create_study ----------------------------------------------------------------


def test_unknown_direction_is_refused() -> None:
    with pytest.raises(ValueError, match=r"`direction` must be 'minimize' or 'maximize'.*'min'"):
        ts.create_study(direction="min")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`directions` must be 'minimize' or 'maximize'.*'up'"):
        ts.create_study(directions=["minimize", "up"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"`directions` must be 'minimize' or 'maximize'.*'max'"):
        ts.create_study(directions=["max"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"`directions` must be a non-empty list.*\[\]"):
        ts.create_study(directions=[])
    with pytest.raises(ValueError, match=r"`directions` must be a non-empty list.*'minimize'"):
        ts.create_study(directions="minimize")  # type: ignore[arg-type]


def test_direction_and_directions_together_are_refused() -> None:
    with pytest.raises(
        ValueError,
        match=r"`direction` or `directions`, not both.*direction='minimize'.*directions=\['max",
    ):
        ts.create_study(direction="minimize", directions=["maximize"])


def test_sampler_and_seed_together_are_refused() -> None:
    sampler = ts.samplers.RandomSampler(seed=1)
    with pytest.raises(ValueError, match=r"`seed`.*`sampler`.*seed=3"):
        ts.create_study(sampler=sampler, seed=3)
    with pytest.raises(TypeError, match=r"`sampler` must be a tunesmith sampler.*'random'"):
        ts.create_study(sampler="random")  # type: ignore[arg-type]


@pytest.mark.parametrize("storage", [42, 1.5, b"sqlite://", ["sqlite://"]])
def test_malformed_storage_type_is_refused(storage: Any) -> None:
    with pytest.raises(TypeError, match=r"`storage` must be None.*database URL.*but got"):
        ts.create_study(storage=storage)
    with pytest.raises(TypeError, match=r"`storage` must be"):
        ts.load_study("x", storage)


@pytest.mark.parametrize("name", ["", 3])
def test_bad_study_name_is_refused(name: Any) -> None:
    with pytest.raises(ValueError, match=r"`study_name` must be a non-empty string.*but got"):
        ts.create_study(study_name=name)


def test_seed_must_be_a_non_negative_int() -> None:
    with pytest.raises(ValueError, match=r"`seed` must be None or an int >= 0.*seed=-1"):
        ts.create_study(seed=-1)


# -- ask / tell --------------------------------------------------------------------------------


def test_declarative_ask_gives_the_whole_configuration() -> None:
    study = ts.create_study(seed=0)
    trial = study.ask(SPACE)
    assert set(trial.params) == {"lr", "layers", "act"}
    assert 1e-4 <= trial.params["lr"] <= 1e-1
    assert trial.params["layers"] in range(1, 7)
    assert trial.params["act"] in ("relu", "gelu")
    # the configuration is stored while the trial runs
    assert study.trials[0].params == trial.params
    assert study.trials[0].state is RUNNING
    # suggesting a declared parameter with its declared domain returns the declared value
    assert trial.suggest_int("layers", 1, 6) == trial.params["layers"]
    frozen = study.tell(trial, 0.25)
    assert frozen.params == trial.params
    assert frozen.distributions["lr"] == ts.Float(1e-4, 1e-1, log=True)
    assert frozen.state is COMPLETE and frozen.values == (0.25,)


def test_declarative_ask_n_returns_distinct_trials() -> None:
    study = ts.create_study(seed=0)
    trials = study.ask(SPACE, n=4)
    assert isinstance(trials, list) and len(trials) == 4
    assert [t.number for t in trials] == [0, 1, 2, 3]
    assert len({t.params["lr"] for t in trials}) == 4
    for t in trials:
        study.tell(t, t.params["lr"])
    assert [t.state for t in study.trials] == [COMPLETE] * 4


def test_define_by_run_ask_n() -> None:
    study = ts.create_study(seed=0)
    trials = study.ask(n=3)
    assert [t.number for t in trials] == [0, 1, 2]
    assert all(t.params == {} for t in trials)
    for t in reversed(trials):  # told in any order
        study.tell(t, t.suggest_float("x", 0, 1))
    assert [t.state for t in study.trials] == [COMPLETE] * 3
    assert len({t.params["x"] for t in study.trials}) == 3


def test_ask_accepts_space_objects_and_lists_of_dicts() -> None:
    study = ts.create_study(seed=0)
    trial = study.ask(ts.Space({"x": ts.Float(0, 1)}))
    assert set(trial.params) == {"x"}
    union = [{"kernel": ["linear"], "C": ts.Float(0.1, 10)}, {"kernel": ["rbf"], "gamma": [0.1, 1]}]
    seen = set()
    for t in study.ask(union, n=16):
        assert t.params["kernel"] in ("linear", "rbf")
        expected = {"kernel", "C"} if t.params["kernel"] == "linear" else {"kernel", "gamma"}
        assert set(t.params) == expected
        seen.add(t.params["kernel"])
    assert seen == {"linear", "rbf"}


def test_conditional_space_ask() -> None:
    space = {
        "kernel": ts.Categorical(["rbf", "poly"]),
        "degree": ts.Int(2, 5).when(kernel="poly"),
    }
    study = ts.create_study(seed=0)
    for t in study.ask(space, n=12):
        if t.params["kernel"] == "poly":
            assert t.params["degree"] in range(2, 6)
        else:
            assert "degree" not in t.params


@pytest.mark.parametrize(
    ("n", "error"), [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_ask_refuses_bad_n(n: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"`n` must be None or an int >= 1.*n="):
        ts.create_study().ask(SPACE, n=n)


def test_ask_refuses_a_malformed_space() -> None:
    with pytest.raises(TypeError, match=r"space: expected a dict.*'lr'"):
        ts.create_study().ask("lr")


def test_tell_by_number() -> None:
    study = ts.create_study(seed=0)
    trial = study.ask(SPACE)
    frozen = study.tell(trial.number, 1.5)
    assert frozen.number == trial.number
    assert frozen.state is COMPLETE
    assert frozen.params == trial.params
    assert study.best_value == 1.5


def test_tell_states() -> None:
    study = ts.create_study()
    assert study.tell(study.ask(), 1.0).state is COMPLETE
    assert study.tell(study.ask(), 1.0, state="complete").state is COMPLETE
    pruned = study.tell(study.ask(), state=PRUNED)
    assert pruned.state is PRUNED and pruned.values is None
    failed = study.tell(study.ask(), state="FAIL")
    assert failed.state is FAIL and failed.values is None and failed.error


def test_pruned_keeps_the_last_reported_value() -> None:
    study = ts.create_study()
    trial = study.ask()
    trial.report(5.0, 0)
    trial.report(4.0, 1)
    frozen = study.tell(trial, state=PRUNED)
    assert frozen.values == (4.0,)
    assert frozen.intermediate_values == {0: 5.0, 1: 4.0}
    # pruned trials are never the best trial
    with pytest.raises(ValueError, match="no complete feasible trial"):
        _ = study.best_trial


def test_pruned_by_number_keeps_the_last_reported_value() -> None:
    study = ts.create_study()
    trial = study.ask()
    trial.report(5.0, 0)
    trial.report(3.0, 2)
    assert study.tell(trial.number, state=PRUNED).values == (3.0,)


def test_default_pruner_is_median_for_one_objective_and_nop_for_several() -> None:
    assert isinstance(ts.create_study().pruner, ts.pruners.MedianPruner)
    multi = ts.create_study(directions=["minimize", "maximize"])
    assert isinstance(multi.pruner, ts.pruners.NopPruner)


def test_a_pruner_for_several_objectives_is_refused_before_the_study_exists() -> None:
    storage = InMemoryStorage()
    with pytest.raises(ValueError, match=r"`pruner` must be NopPruner.*2 objectives.*Median"):
        ts.create_study(
            "multi",
            storage,
            directions=["minimize", "minimize"],
            pruner=ts.pruners.MedianPruner(),
        )
    assert ts.list_studies(storage) == []
    nop = ts.create_study(directions=["minimize", "minimize"], pruner=ts.pruners.NopPruner())
    trial = nop.ask()
    trial.report(1.0, 0)  # learning curves are still recorded
    assert trial.should_prune() is False
    assert nop.tell(trial, [1.0, 2.0]).intermediate_values == {0: 1.0}


def test_a_pruner_must_be_a_pruner() -> None:
    with pytest.raises(TypeError, match=r"`pruner` must be a tunesmith pruner.*median"):
        ts.create_study(pruner="median")  # type: ignore[arg-type]


def test_load_study_takes_a_pruner(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    ts.create_study("s", url)
    pruner = ts.pruners.NopPruner()
    assert ts.load_study("s", url, pruner=pruner).pruner is pruner


def test_pruned_trials_keep_their_curves_in_a_sqlite_file(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)

    def objective(trial: ts.Trial) -> float:
        slope = trial.suggest_float("slope", 0.0, 1.0)
        for step in range(6):
            trial.report(1.0 + step * (slope - 0.5), step)
            if trial.should_prune():
                raise ts.TrialPruned()
        return 1.0 + 5 * (slope - 0.5)

    pruner = ts.pruners.ThresholdPruner(upper=1.5)
    ts.create_study("curves", url, pruner=pruner)
    sampler = ts.samplers.RandomSampler(seed=3)
    ts.load_study("curves", url, sampler=sampler, pruner=pruner).optimize(objective, n_trials=20)
    trials = ts.load_study("curves", url).trials  # reopened: everything came from the file
    pruned = [t for t in trials if t.state is PRUNED]
    complete = [t for t in trials if t.state is COMPLETE]
    assert pruned and complete
    for t in pruned:
        curve = t.intermediate_values
        assert curve[max(curve)] > 1.5 and all(v <= 1.5 for s, v in curve.items() if s < max(curve))
        assert t.values == (curve[max(curve)],)  # stopped at the first step above 1.5
    for t in complete:
        assert len(t.intermediate_values) == 6 and max(t.intermediate_values.values()) <= 1.5


def _bowl(trial: ts.Trial) -> float:
    x, y = trial.suggest_float("x", 0.0, 1.0), trial.suggest_float("y", 0.0, 1.0)
    return (x - 0.3) ** 2 + (y - 0.7) ** 2


def test_running_define_by_run_proposals_are_visible_to_other_workers(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    gp = ts.samplers.GPSampler
    a = ts.create_study("s", url, sampler=gp(seed=0, n_startup_trials=4))
    a.optimize(_bowl, n_trials=8)
    b = ts.load_study("s", url, sampler=gp(seed=0, n_startup_trials=4))  # another worker
    mine = a.ask()
    # Before the objective suggests anything, the proposal is in the storage ...
    seen = b.trials[mine.number]
    assert seen.state is RUNNING and set(seen.params) == {"x", "y"}
    assert mine.suggest_float("x", 0.0, 1.0) == seen.params["x"]
    # ... so the other worker's sampler keeps away from it.
    theirs = b.ask()
    pa = np.array([seen.params["x"], seen.params["y"]])
    pb = np.array([theirs.suggest_float("x", 0.0, 1.0), theirs.suggest_float("y", 0.0, 1.0)])
    assert np.linalg.norm(pa - pb) > 1e-3
    # Told, the trial stores the parameters it used, not the proposal.
    assert a.tell(mine, 0.5).params == {"x": seen.params["x"]}


def test_samplers_that_ignore_running_trials_store_no_proposal(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    study = ts.create_study("s", url, sampler=ts.samplers.RandomSampler(seed=0))
    study.optimize(_bowl, n_trials=3)
    trial = study.ask()
    assert ts.load_study("s", url).trials[trial.number].params == {}


def test_an_in_memory_study_pickles_and_deep_copies_to_an_independent_copy() -> None:
    study = ts.create_study(seed=4, pruner=ts.pruners.NopPruner())
    _tell_values(study, [3.0, 1.0, 2.0])

    def pickled(s: ts.Study) -> ts.Study:
        twin: ts.Study = pickle.loads(pickle.dumps(s))
        return twin

    for copy_of in (pickled, copy.deepcopy):
        twin = copy_of(study)
        assert [t.values for t in twin.trials] == [t.values for t in study.trials]
        assert twin.best_value == 1.0 and repr(twin.sampler) == repr(study.sampler)
        assert isinstance(twin.pruner, ts.pruners.NopPruner)
        _tell_values(twin, [0.5])
        assert len(twin.trials) == 4 and len(study.trials) == 3  # a copy, not a view
    _tell_values(study, [0.0])  # the original still works (its lock was not taken away)
    assert study.best_value == 0.0


def test_a_sql_study_pickles_to_a_handle_on_the_same_database(tmp_path: Path) -> None:
    study = ts.create_study("s", _sqlite(tmp_path), seed=1)
    _tell_values(study, [2.0])
    handle = pickle.loads(pickle.dumps(study))
    _tell_values(handle, [1.0])
    assert study.best_value == 1.0 and len(study.trials) == 2


def test_tell_on_a_finished_trial_raises() -> None:
    study = ts.create_study()
    trial = study.ask()
    study.tell(trial, 1.0)
    with pytest.raises(ts.TrialFinishedError, match=r"Trial 0 is already finished"):
        study.tell(trial, 2.0)
    with pytest.raises(ts.TrialFinishedError, match=r"Trial 0 is already finished.*COMPLETE"):
        study.tell(0, 2.0)
    assert study.trials[0].values == (1.0,)


def test_tell_with_a_wrong_value_count_leaves_the_trial_running() -> None:
    study = ts.create_study(directions=["minimize", "maximize"])
    trial = study.ask()
    with pytest.raises(ValueError, match=r"2 objective\(s\).*2 value\(s\).*got 1"):
        study.tell(trial, 1.0)
    with pytest.raises(ValueError, match=r"got 3"):
        study.tell(trial, [1.0, 2.0, 3.0])
    assert study.trials[0].state is RUNNING
    assert study.tell(trial, [1.0, 2.0]).values == (1.0, 2.0)


@pytest.mark.parametrize(
    ("state", "shown"),
    [(RUNNING, "TrialState.RUNNING"), (WAITING, "TrialState.WAITING"), ("running", "'running'"),
     ("done", "'done'"), (3, "3")],
)  # fmt: skip
def test_tell_refuses_unfinished_or_unknown_states(state: Any, shown: str) -> None:
    study = ts.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"`state` must be one of COMPLETE, PRUNED, FAIL") as info:
        study.tell(trial, 1.0, state=state)
    assert f"but got state={shown}" in str(info.value) or f"state=<{shown}" in str(info.value)
    assert study.trials[0].state is RUNNING


def test_tell_without_values_or_state_is_refused() -> None:
    study = ts.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"give `values`, or `state`"):
        study.tell(trial)
    assert study.trials[0].state is RUNNING


def test_tell_refuses_a_trial_of_another_study_and_bad_trial_types() -> None:
    study, other = ts.create_study(), ts.create_study()
    trial = other.ask()
    with pytest.raises(ValueError, match="belongs to another study"):
        study.tell(trial, 1.0)
    with pytest.raises(TypeError, match=r"`trial` must be a Trial or its number.*'0'"):
        study.tell("0", 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        ("0.5", "'0.5' \\(str\\), not a number"),
        ({"loss": 1.0}, "dict"),
    ],
)
def test_tell_with_an_unusable_value_fails_the_trial_with_the_reason(
    value: Any, reason: str
) -> None:
    study = ts.create_study()
    frozen = study.tell(study.ask(), value)
    assert frozen.state is FAIL
    assert frozen.values is None
    assert frozen.error is not None
    assert re.search(reason, frozen.error), frozen.error


def test_tell_accepts_numpy_numbers() -> None:
    study = ts.create_study(directions=["minimize", "maximize"])
    frozen = study.tell(study.ask(), np.array([1.0, 2.0]))
    assert frozen.values == (1.0, 2.0)
    single = ts.create_study()
    assert single.tell(single.ask(), np.float32(0.5)).values == (0.5,)
    assert single.tell(single.ask(), np.array(0.25)).values == (0.25,)
    assert single.tell(single.ask(), np.int64(3)).values == (3.0,)


def test_tell_with_constraints() -> None:
    study = ts.create_study()
    assert not study.tell(study.ask(), 0.0, constraints=[1.0, -1.0]).feasible
    assert study.tell(study.ask(), 5.0, constraints=[-1.0, 0.0]).feasible
    assert study.best_value == 5.0
    with pytest.raises(ValueError, match=r"`constraints` must be finite"):
        study.tell(study.ask(), 1.0, constraints=[float("nan")])


# -- best trial(s) ------------------------------------------------------------------------------


@pytest.mark.parametrize(("direction", "expected"), [("minimize", -2.0), ("maximize", 7.0)])
def test_best_trial_by_direction(direction: Any, expected: float) -> None:
    study = ts.create_study(direction=direction, seed=0)
    values = [3.0, -2.0, 7.0, 0.5]
    for v in values:
        trial = study.ask()
        trial.suggest_float("x", -10, 10)
        study.tell(trial, v)
    assert study.best_value == expected
    assert study.best_trial.number == values.index(expected)
    assert study.best_params == study.trials[values.index(expected)].params


def test_best_trial_ignores_failed_pruned_running_and_infeasible() -> None:
    study = ts.create_study()
    study.tell(study.ask(), 10.0)
    study.tell(study.ask(), float("nan"))  # FAIL
    pruned = study.ask()
    pruned.report(-100.0, 0)
    study.tell(pruned, state=PRUNED)
    study.tell(study.ask(), -50.0, constraints=[0.1])  # infeasible
    study.tell(study.ask(), state=FAIL)
    study.ask()  # RUNNING
    assert study.best_value == 10.0
    assert study.best_trial.number == 0


def test_best_trial_without_complete_trials() -> None:
    study = ts.create_study(study_name="empty")
    with pytest.raises(ValueError, match=r"'empty' has no complete feasible trial.*0 trials"):
        _ = study.best_trial
    with pytest.raises(ValueError, match="no complete feasible trial"):
        _ = study.best_value
    with pytest.raises(ValueError, match="no complete feasible trial"):
        _ = study.best_params


def test_best_params_is_a_copy() -> None:
    study = ts.create_study(seed=0)
    study.tell(study.ask({"x": ts.Float(0, 1)}), 1.0)
    params = study.best_params
    params["x"] = 5.0
    assert study.best_params != params


def test_best_trial_seen_from_another_study_object(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    writer = ts.create_study(study_name="s", storage=url, direction="maximize")
    reader = ts.load_study("s", url)
    _tell_values(writer, [1.0, 3.0])
    assert reader.best_value == 3.0
    _tell_values(writer, [5.0])
    assert reader.best_value == 5.0
    assert reader.best_trial.number == 2


def test_best_trials_is_the_pareto_front() -> None:
    study = ts.create_study(directions=["minimize", "maximize"])
    values = [[1.0, 1.0], [2.0, 3.0], [3.0, 2.0], [0.5, 0.5], [2.0, 3.0], [4.0, 4.0]]
    _tell_values(study, values)
    study.tell(study.ask(), [0.0, 10.0], constraints=[1.0])  # would dominate, but infeasible
    study.tell(study.ask(), state=FAIL)
    front = {t.number for t in study.best_trials}
    # [3, 2] is dominated by [2, 3]; [1, 1] is dominated by nothing (its first value is lower
    # than every other but [0.5, 0.5], which it beats on the second).
    assert front == {0, 1, 3, 4, 5}
    assert all(t.state is COMPLETE for t in study.best_trials)
    with pytest.raises(RuntimeError, match="use best_trials"):
        _ = study.best_trial


def test_best_trials_of_an_empty_study_is_empty() -> None:
    assert ts.create_study(directions=["minimize", "minimize"]).best_trials == []


def test_multi_objective_values_are_stored_as_lists() -> None:
    study = ts.create_study(directions=["minimize", "maximize", "minimize"])
    frozen = study.tell(study.ask(), (1, 2.5, -3))
    assert frozen.values == (1.0, 2.5, -3.0)
    assert all(isinstance(v, float) for v in frozen.values)


# -- trials and the dataframe -------------------------------------------------------------------


def test_get_trials_by_state() -> None:
    study = ts.create_study()
    study.tell(study.ask(), 1.0)
    study.tell(study.ask(), state=FAIL)
    study.ask()
    assert [t.number for t in study.get_trials([COMPLETE])] == [0]
    assert [t.number for t in study.get_trials([FAIL, RUNNING])] == [1, 2]
    assert len(study.get_trials()) == 3


def test_trials_dataframe_single_objective() -> None:
    study = ts.create_study(seed=0)
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    trial.set_user_attr("fold", 2)
    study.tell(trial, 0.5)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.suggest_categorical("c", ["a", "b"])
    study.tell(trial, float("nan"))
    df = study.trials_dataframe()
    assert list(df.columns) == [
        "number", "state", "value", "params_c", "params_x", "user_attrs_fold",
        "datetime_start", "datetime_complete", "duration_s", "error",
    ]  # fmt: skip
    assert df["number"].tolist() == [0, 1]
    assert df["state"].tolist() == ["COMPLETE", "FAIL"]
    assert df.loc[0, "value"] == 0.5
    assert math.isnan(df.loc[1, "value"])
    assert df.loc[0, "params_x"] == x
    assert df.loc[0, "user_attrs_fold"] == 2
    assert df.loc[1, "error"] == "the objective returned nan"
    duration = study.trials[0].duration
    assert duration is not None and df.loc[0, "duration_s"] == duration.total_seconds()
    assert df.loc[0, "params_c"] is None or math.isnan(df.loc[0, "params_c"])


def test_trials_dataframe_multi_objective() -> None:
    study = ts.create_study(directions=["minimize", "maximize"])
    study.tell(study.ask({"x": ts.Int(0, 3)}), [1.0, 2.0])
    df = study.trials_dataframe()
    assert {"values_0", "values_1", "params_x"} <= set(df.columns)
    assert "value" not in df.columns
    assert (df.loc[0, "values_0"], df.loc[0, "values_1"]) == (1.0, 2.0)


def test_trials_dataframe_of_an_empty_study_has_the_fixed_columns() -> None:
    df = ts.create_study().trials_dataframe()
    assert len(df) == 0
    assert list(df.columns) == [
        "number", "state", "value", "datetime_start", "datetime_complete", "duration_s", "error",
    ]  # fmt: skip


# -- seeds ---------------------------------------------------------------------------------------


def _params_of(seed: int | None) -> list[dict[str, Any]]:
    study = ts.create_study(seed=seed)
    out = []
    for _ in range(5):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.suggest_int("n", 0, 1000)
        study.tell(trial, 0.0)
    for trial in study.ask(SPACE, n=3):
        study.tell(trial, 0.0)
    for t in study.trials:
        out.append(dict(t.params))
    return out


def test_same_seed_gives_the_same_params() -> None:
    assert _params_of(7) == _params_of(7)
    assert _params_of(7) != _params_of(8)


# -- enqueue_trial -------------------------------------------------------------------------------


def test_enqueued_trial_runs_first_with_its_values() -> None:
    study = ts.create_study(seed=0)
    number = study.enqueue_trial({"x": 0.25, "c": "b"}, user_attrs={"source": "expert"})
    assert number == 0
    assert study.trials[0].state is WAITING
    trial = study.ask()
    assert trial.number == 0
    assert trial.suggest_float("x", 0, 1) == 0.25
    assert trial.suggest_categorical("c", ["a", "b"]) == "b"
    frozen = study.tell(trial, 1.0)
    assert frozen.params == {"x": 0.25, "c": "b"}
    assert frozen.distributions == {"x": ts.Float(0, 1), "c": ts.Categorical(["a", "b"])}
    assert frozen.user_attrs == {"source": "expert"}
    # the next trial is the sampler's own
    nxt = study.ask()
    assert nxt.number == 1
    assert nxt.suggest_float("x", 0, 1) != 0.25


def test_enqueued_trials_run_in_order_before_new_ones() -> None:
    study = ts.create_study(seed=0)
    for v in (0.1, 0.2, 0.3):
        study.enqueue_trial({"x": v})
    seen = []
    for _ in range(4):
        trial = study.ask()
        seen.append(trial.suggest_float("x", 0, 1))
        study.tell(trial, 0.0)
    assert seen[:3] == [0.1, 0.2, 0.3]
    assert [t.number for t in study.trials] == [0, 1, 2, 3]


def test_enqueued_params_the_objective_does_not_suggest_are_dropped() -> None:
    study = ts.create_study(seed=0)
    study.enqueue_trial({"x": 0.5, "unused": 3})
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    frozen = study.tell(trial, 1.0)
    assert frozen.params == {"x": 0.5}
    assert set(frozen.distributions) == {"x"}


def test_enqueued_value_outside_the_suggested_domain_is_refused() -> None:
    study = ts.create_study(seed=0)
    study.enqueue_trial({"x": 5.0})
    trial = study.ask()
    with pytest.raises(ValueError, match=r"Enqueued value 5.0 of 'x' is not in Float\(low=0.0"):
        trial.suggest_float("x", 0, 1)


def test_enqueue_outside_a_known_domain_is_refused_at_once() -> None:
    study = ts.create_study(seed=0)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.suggest_categorical("c", ["a", "b"])
    study.tell(trial, 1.0)
    with pytest.raises(ValueError, match=r"enqueue_trial.*'x'.*5.0.*Float\(low=0.0, high=1.0"):
        study.enqueue_trial({"x": 5.0})
    with pytest.raises(ValueError, match=r"enqueue_trial.*'c'.*'z'.*Categorical"):
        study.enqueue_trial({"c": "z"})
    assert len(study.trials) == 1
    study.enqueue_trial({"x": 0.5, "new": 1})  # known names in domain, unknown names free


def test_enqueued_trial_runs_from_another_study_object_on_sqlite(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    ts.create_study(study_name="s", storage=url).enqueue_trial({"x": 0.75, "c": "b", "u": 1})

    def objective(trial: ts.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        c = trial.suggest_categorical("c", ["a", "b"])
        return x if c == "b" else 0.0

    ts.load_study("s", url, seed=0).optimize(objective, n_trials=2)
    first, second = ts.load_study("s", url).trials
    assert first.params == {"x": 0.75, "c": "b"}
    assert first.values == (0.75,)
    assert first.distributions == {"x": ts.Float(0, 1), "c": ts.Categorical(["a", "b"])}
    assert second.state is COMPLETE and second.params["x"] != 0.75


def test_enqueued_tuple_of_an_unknown_domain_round_trips_through_sqlite(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    ts.create_study(study_name="s", storage=url).enqueue_trial({"c": (1, 2)})
    trial = ts.load_study("s", url).ask()
    assert trial.suggest_categorical("c", [(1, 2), None]) == (1, 2)


def test_enqueue_refuses_a_non_dict() -> None:
    with pytest.raises(TypeError, match=r"`params` must be a dict.*\[0.5\]"):
        ts.create_study().enqueue_trial([0.5])  # type: ignore[arg-type]


def test_enqueue_with_declarative_ask() -> None:
    study = ts.create_study(seed=0)
    study.enqueue_trial({"lr": 0.01, "layers": 3, "act": "gelu"})
    trial = study.ask(SPACE)
    assert trial.params == {"lr": 0.01, "layers": 3, "act": "gelu"}
    assert study.trials[0].params == trial.params  # stored as it starts
    frozen = study.tell(trial, 1.0)
    assert frozen.distributions["layers"] == ts.Int(1, 6)


def test_enqueue_partial_params_are_completed_in_declarative_ask() -> None:
    study = ts.create_study(seed=0)
    study.enqueue_trial({"layers": 4})
    trial = study.ask(SPACE)
    assert trial.params["layers"] == 4
    assert set(trial.params) == {"lr", "layers", "act"}
    assert 1e-4 <= trial.params["lr"] <= 1e-1
    frozen = study.tell(trial, 1.0)
    assert frozen.params == trial.params


def test_enqueue_partial_params_with_a_conditional_space() -> None:
    space = {"kernel": ts.Categorical(["rbf", "poly"]), "degree": ts.Int(2, 5).when(kernel="poly")}
    study = ts.create_study(seed=0)
    study.enqueue_trial({"degree": 3})  # implies kernel="poly"
    study.enqueue_trial({"kernel": "rbf"})
    first, second = study.ask(space, n=2)
    assert first.params == {"kernel": "poly", "degree": 3}
    assert second.params == {"kernel": "rbf"}


def test_enqueue_partial_params_with_a_union_space() -> None:
    union = [{"kernel": ["linear"], "C": ts.Float(0.1, 10)}, {"kernel": ["rbf"], "gamma": [0.1, 1]}]
    study = ts.create_study(seed=0)
    study.enqueue_trial({"gamma": 1})
    study.enqueue_trial({"kernel": "linear"})
    first, second = study.ask(union, n=2)
    assert first.params == {"kernel": "rbf", "gamma": 1}
    assert second.params["kernel"] == "linear"
    assert 0.1 <= second.params["C"] <= 10


def test_enqueue_outside_the_declared_space_fails_the_trial_and_raises() -> None:
    study = ts.create_study(seed=0)
    study.enqueue_trial({"lr": 5.0})
    with pytest.raises(ValueError, match=r"'lr'.*5.0.*Float"):
        study.ask(SPACE)
    [frozen] = study.trials
    assert frozen.state is FAIL
    assert frozen.error is not None and "'lr'" in frozen.error
    # the study goes on with the sampler's own proposals
    trial = study.ask(SPACE)
    assert trial.number == 1


def test_enqueue_of_an_unknown_name_in_a_declared_space_fails_the_trial() -> None:
    study = ts.create_study(seed=0)
    study.enqueue_trial({"dropout": 0.5})
    with pytest.raises(ValueError, match=r"\['dropout'\]"):
        study.ask(SPACE)
    assert study.trials[0].state is FAIL


# -- add_trial(s) / create_trial ------------------------------------------------------------------


def test_add_trials_from_another_study() -> None:
    source = ts.create_study(seed=0)
    for _ in range(3):
        trial = source.ask()
        trial.suggest_float("x", 0, 1)
        source.tell(trial, trial.params["x"])
    source.tell(source.ask(), state=FAIL)
    target = ts.create_study(seed=1)
    target.tell(target.ask({"x": ts.Float(0, 1)}), 9.0)
    numbers = target.add_trials(source.trials)
    assert numbers == [1, 2, 3, 4]
    imported = target.trials[1:]
    assert [t.params for t in imported] == [t.params for t in source.trials]
    assert [t.values for t in imported] == [t.values for t in source.trials]
    assert [t.state for t in imported] == [t.state for t in source.trials]
    assert target.best_value == source.best_value
    # the imported history informs the domain check of define-by-run trials
    trial = target.ask()
    with pytest.raises(ValueError, match="earlier trials"):
        trial.suggest_float("x", 0, 2)


def test_add_trial_with_create_trial() -> None:
    study = ts.create_study(direction="maximize")
    number = study.add_trial(
        ts.create_trial(
            params={"x": 2.0, "act": "relu"},
            distributions={"x": ts.Float(0, 5), "act": ["relu", "gelu"]},
            value=4.0,
            user_attrs={"source": "paper"},
            intermediate_values={0: 1.0, 1: 3.0},
        )
    )
    assert number == 0
    frozen = study.trials[0]
    assert frozen.state is COMPLETE
    assert frozen.params == {"x": 2.0, "act": "relu"}
    assert frozen.distributions["act"] == ts.Categorical(["relu", "gelu"])
    assert frozen.values == (4.0,)
    assert frozen.user_attrs == {"source": "paper"}
    assert frozen.intermediate_values == {0: 1.0, 1: 3.0}
    assert study.best_params == {"x": 2.0, "act": "relu"}
    pruned = ts.create_trial(params={}, distributions={}, state=PRUNED)
    assert study.add_trial(pruned) == 1
    assert study.trials[1].state is PRUNED


def test_added_trials_persist_in_sqlite(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    study = ts.create_study(study_name="s", storage=url, directions=["minimize", "maximize"])
    study.add_trials(
        [
            ts.create_trial(params={"x": i}, distributions={"x": ts.Int(0, 9)}, values=[i, -i])
            for i in range(3)
        ]
    )
    loaded = ts.load_study("s", url)
    assert [t.params for t in loaded.trials] == [{"x": 0}, {"x": 1}, {"x": 2}]
    assert [t.values for t in loaded.trials] == [(0.0, -0.0), (1.0, -1.0), (2.0, -2.0)]


def test_add_trials_refuses_a_wrong_value_count() -> None:
    study = ts.create_study(directions=["minimize", "maximize"])
    record = ts.create_trial(params={}, distributions={}, value=1.0)
    with pytest.raises(ValueError, match=r"1 value\(s\) but the study has 2 objective\(s\)"):
        study.add_trial(record)
    pruned = ts.create_trial(params={}, distributions={}, values=[1.0], state=PRUNED)
    with pytest.raises(ValueError, match=r"1 value\(s\) but the study has 2 objective\(s\)"):
        study.add_trial(pruned)
    assert study.trials == []


def test_add_trials_refuses_unfinished_and_foreign_records() -> None:
    study = ts.create_study()
    study.ask()
    running = study.trials[0]
    with pytest.raises(ValueError, match=r"only finished trials can be added.*RUNNING"):
        study.add_trial(running)
    with pytest.raises(TypeError, match=r"expected FrozenTrial records.*\{'x': 1\}"):
        study.add_trials([{"x": 1}])  # type: ignore[list-item]
    assert len(study.trials) == 1


def test_add_trials_refuses_params_outside_their_distributions() -> None:
    study = ts.create_study()
    good = ts.create_trial(params={"x": 0.5}, distributions={"x": ts.Float(0, 1)}, value=1.0)
    with pytest.raises(ValueError, match=r"'x': 2.0 is not in Float"):
        study.add_trial(good.with_changes(params={"x": 2.0}))
    with pytest.raises(ValueError, match=r"parameter 'y' of trial -1 has no distribution"):
        study.add_trial(good.with_changes(params={"x": 0.5, "y": 1}))
    assert study.trials == []


def test_create_trial_refuses_bad_input() -> None:
    dist = {"x": ts.Float(0, 1)}
    with pytest.raises(ValueError, match="`value` or `values`, not both"):
        ts.create_trial(params={"x": 0.5}, distributions=dist, value=1.0, values=[1.0])
    with pytest.raises(ValueError, match=r"`state` must be COMPLETE, PRUNED or FAIL.*RUNNING"):
        ts.create_trial(params={"x": 0.5}, distributions=dist, value=1.0, state=RUNNING)
    with pytest.raises(ValueError, match=r"\['y'\] have no distribution.*covers \['x'\]"):
        ts.create_trial(params={"y": 0.5}, distributions=dist, value=1.0)
    with pytest.raises(ValueError, match=r"'x': 2.0 is not in Float"):
        ts.create_trial(params={"x": 2.0}, distributions=dist, value=1.0)
    with pytest.raises(ValueError, match="COMPLETE trial needs `value` or `values`"):
        ts.create_trial(params={"x": 0.5}, distributions=dist)
    with pytest.raises(ValueError, match=r"`values` must be finite.*nan"):
        ts.create_trial(params={"x": 0.5}, distributions=dist, value=float("nan"))


# -- properties ------------------------------------------------------------------------------------

_outcome = st.one_of(
    st.tuples(st.just("complete"), st.floats(-1e6, 1e6), st.booleans()),
    st.tuples(st.just("pruned"), st.floats(-1e6, 1e6), st.just(True)),
    st.tuples(st.just("fail"), st.just(0.0), st.just(True)),
    st.tuples(st.just("nan"), st.just(0.0), st.just(True)),
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(direction=st.sampled_from(["minimize", "maximize"]), outcomes=st.lists(_outcome))
def test_best_trial_matches_a_brute_force_search(
    direction: Any, outcomes: list[tuple[str, float, bool]]
) -> None:
    study = ts.create_study(direction=direction)
    for kind, value, feasible in outcomes:
        trial = study.ask()
        trial.report(value, 0)
        if kind == "complete":
            study.tell(trial, value, constraints=[-1.0 if feasible else 1.0])
        elif kind == "pruned":
            study.tell(trial, state=PRUNED)
        elif kind == "fail":
            study.tell(trial, state=FAIL)
        else:
            study.tell(trial, float("nan"))
    eligible = [t for t in study.trials if t.state is COMPLETE and t.feasible]
    if not eligible:
        with pytest.raises(ValueError, match="no complete feasible trial"):
            _ = study.best_trial
        return
    pick = min if direction == "minimize" else max
    assert study.best_value == pick(t.values[0] for t in eligible if t.values)
    # a fresh study object over the same storage agrees
    assert ts.load_study(study.study_name, study.storage).best_value == study.best_value


@settings(max_examples=60, deadline=None, derandomize=True)
@given(points=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=15))
def test_best_trials_match_a_brute_force_pareto_front(points: list[tuple[int, int]]) -> None:
    study = ts.create_study(directions=["minimize", "maximize"])
    _tell_values(study, [list(p) for p in points])

    def dominates(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return a[0] <= b[0] and a[1] >= b[1] and a != b

    expected = {i for i, p in enumerate(points) if not any(dominates(q, p) for q in points)}
    assert {t.number for t in study.best_trials} == expected


def test_a_changing_constraint_count_is_refused_naming_both_counts() -> None:
    study = ts.create_study()
    first = study.ask({"x": ts.Float(0, 1)})
    study.tell(first, 1.0, constraints=[0.0, -1.0])
    second = study.ask({"x": ts.Float(0, 1)})
    with pytest.raises(ValueError, match=r"Trial 1 reports 1 constraint value\(s\), .* report 2"):
        study.tell(second, 1.0, constraints=[0.5])
    assert study.trials[1].state is ts.TrialState.RUNNING  # still open: tell it correctly
    study.tell(second, 1.0, constraints=[0.5, 0.5])

    def objective(trial: ts.Trial) -> float:
        trial.set_constraints([1.0, 2.0, 3.0])
        return 0.0

    with pytest.raises(ValueError, match="reports 3 constraint value"):
        study.optimize(objective, n_trials=1)
    failed = study.trials[-1]
    assert failed.state is ts.TrialState.FAIL
    assert "reports 3 constraint value" in (failed.error or "")


def test_tell_by_a_numpy_trial_number() -> None:
    study = ts.create_study()
    number = study.ask().number
    assert study.tell(np.int64(number), 2.0).value == 2.0
    with pytest.raises(TypeError, match="`trial` must be a Trial or its number"):
        study.tell(True, 1.0)
