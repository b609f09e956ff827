"""Grid search: exhaustive, ordered, each point once, also across workers sharing a storage."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest

import tunesmith as ts
from tunesmith.samplers import GridSampler, History

GRID: dict[str, list[Any]] = {"a": [1, 2, 3], "b": ["x", "y"], "c": [True, None]}
PRODUCT = [dict(zip(GRID, combo, strict=True)) for combo in itertools.product(*GRID.values())]


def key(params: dict[str, Any]) -> str:
    return repr(sorted(params.items()))


def objective(trial: ts.Trial) -> float:
    a = trial.suggest_categorical("a", [1, 2, 3])
    trial.suggest_categorical("b", ["x", "y"])
    trial.suggest_categorical("c", [True, None])
    return float(a)


def test_exhaustive_in_a_stable_order_each_point_once() -> None:
    study = ts.create_study(sampler=GridSampler(GRID))
    study.optimize(objective, n_trials=None)
    params = [t.params for t in study.trials]
    assert params == PRODUCT  # the first name varies slowest
    assert all(t.state is ts.TrialState.COMPLETE for t in study.trials)
    again = ts.create_study(sampler=GridSampler(GRID))
    again.optimize(objective)
    assert [t.params for t in again.trials] == params


def test_exhausted_grid_stops_optimize_and_ask_raises() -> None:
    study = ts.create_study(sampler=GridSampler(GRID))
    study.optimize(objective, n_trials=100)
    assert len(study.trials) == len(PRODUCT)
    with pytest.raises(ts.SearchSpaceExhausted):
        study.ask()
    with pytest.raises(ts.SearchSpaceExhausted):
        study.ask(GRID)
    study.optimize(objective)  # returns at once
    assert len(study.trials) == len(PRODUCT)  # no trial was created for nothing


def test_ask_with_a_declared_space() -> None:
    study = ts.create_study(sampler=GridSampler(GRID))
    trials = study.ask(GRID, n=5)
    assert [t.params for t in trials] == PRODUCT[:5]
    rest = [study.ask(GRID) for _ in range(len(PRODUCT) - 5)]
    assert [t.params for t in rest] == PRODUCT[5:]
    with pytest.raises(ts.SearchSpaceExhausted):
        study.ask(GRID)


def test_grid_taken_from_ask_when_the_sampler_has_none() -> None:
    space = {"lr": [0.1, 0.01], "depth": ts.Int(1, 3), "w": ts.Float(0, 1, step=0.5)}
    study = ts.create_study(sampler=GridSampler())
    got = []
    for _ in range(2 * 3 * 3):
        trial = study.ask(space)
        got.append(trial.params)
        study.tell(trial, 0.0)
    assert got == ts.Space(space).grid()
    assert len({key(p) for p in got}) == 18
    with pytest.raises(ts.SearchSpaceExhausted):
        study.ask(space)
    # Another space is another grid.
    assert study.ask({"z": ["only"]}).params == {"z": "only"}


def test_exhausted_grid_from_ask_creates_no_trial() -> None:
    study = ts.create_study(sampler=GridSampler())
    study.optimize(lambda t: 0.0, space={"a": [1, 2]})
    with pytest.raises(ts.SearchSpaceExhausted):
        study.ask({"a": [1, 2]})
    assert [t.state for t in study.trials] == [ts.TrialState.COMPLETE] * 2


def test_list_of_sub_grids_like_parameter_grid() -> None:
    grids = [
        {"kernel": ["linear"], "C": [1, 10]},
        {"kernel": ["rbf"], "C": [1, 10], "gamma": [0.1, 1.0]},
    ]
    study = ts.create_study(sampler=GridSampler(grids))
    study.optimize(lambda t: 0.0, space=grids)
    params = [t.params for t in study.trials]
    assert params == [
        {"kernel": "linear", "C": 1},
        {"kernel": "linear", "C": 10},
        *({"kernel": "rbf", "C": c, "gamma": g} for c, g in itertools.product([1, 10], [0.1, 1.0])),
    ]
    model_selection = pytest.importorskip("sklearn.model_selection")
    sorted_keys = [dict(sorted(g.items())) for g in grids]  # scikit-learn sorts the keys
    assert sorted(map(key, params)) == sorted(map(key, model_selection.ParameterGrid(sorted_keys)))


def test_overlapping_sub_grids_try_each_point_once() -> None:
    study = ts.create_study(sampler=GridSampler([{"a": [1, 2]}, {"a": [2, 3]}]))
    study.optimize(lambda t: t.suggest_categorical("a", [1, 2, 3]))
    assert [t.params for t in study.trials] == [{"a": 1}, {"a": 2}, {"a": 3}]
    assert all(t.state is ts.TrialState.COMPLETE for t in study.trials)


def test_conditional_grid_in_define_by_run() -> None:
    space = ts.Space({"kernel": ["rbf", "poly"], "degree": ts.Int(2, 3).when(kernel="poly")})

    def obj(trial: ts.Trial) -> float:
        if trial.suggest_categorical("kernel", ["rbf", "poly"]) == "poly":
            return float(trial.suggest_int("degree", 2, 3))
        return 0.0

    study = ts.create_study(sampler=GridSampler(space))
    study.optimize(obj)
    assert [t.params for t in study.trials] == [
        {"kernel": "rbf"},
        {"kernel": "poly", "degree": 2},
        {"kernel": "poly", "degree": 3},
    ]


def test_params_outside_the_grid_are_drawn_and_do_not_hide_the_point() -> None:
    study = ts.create_study(sampler=GridSampler({"a": [1, 2, 3]}))

    def obj(trial: ts.Trial) -> float:
        a: int = trial.suggest_categorical("a", [1, 2, 3])
        return a + trial.suggest_float("lr", 0, 1)

    study.optimize(obj, n_trials=10)
    assert [t.params["a"] for t in study.trials] == [1, 2, 3]
    assert all(0 <= t.params["lr"] <= 1 for t in study.trials)


def test_an_objective_that_skips_a_grid_param_still_ends() -> None:
    # Each trial holds a grid point, though it uses only part of it: the run must end.
    study = ts.create_study(sampler=GridSampler({"a": [1, 2], "b": ["x", "y"]}))
    study.optimize(lambda t: float(t.suggest_int("a", 1, 2)), n_trials=20)
    complete = [t for t in study.trials if t.state is ts.TrialState.COMPLETE]
    assert [t.params for t in complete] == [{"a": 1}, {"a": 1}, {"a": 2}, {"a": 2}]


def test_continuous_params_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError) as info:
        GridSampler({"a": [1, 2], "lr": ts.Float(1e-4, 1e-1, log=True)})
    message = str(info.value)
    for fragment in ("GridSampler", "'lr'", "continuous", "list of values or a step"):
        assert fragment in message
    study = ts.create_study(sampler=GridSampler())
    with pytest.raises(ValueError, match=r"GridSampler: Parameter 'x'.*continuous"):
        study.ask({"x": ts.Float(0, 1)})


def test_ask_with_a_space_the_grid_does_not_fit_is_refused() -> None:
    study = ts.create_study(sampler=GridSampler({"a": [1, 2]}))
    with pytest.raises(ValueError, match=r"grid point \{'a': 1\} is not .* Unknown parameter"):
        study.ask({"b": ts.Float(0, 1)})
    # A grid inside a wider declared space is fine.
    study = ts.create_study(sampler=GridSampler({"a": [1.0, 2.5]}))
    assert [t.params for t in study.ask({"a": ts.Float(0, 5)}, n=2)] == [{"a": 1.0}, {"a": 2.5}]


def test_a_refused_space_leaves_no_running_trial() -> None:
    study = ts.create_study(sampler=GridSampler())
    with pytest.raises(ValueError):
        study.ask({"x": ts.Float(0, 1)})
    assert study.trials == []


def test_two_workers_interleaving_asks_never_share_a_point() -> None:
    storage = ts.storages.InMemoryStorage()
    one = ts.create_study(study_name="g", storage=storage, sampler=GridSampler(GRID))
    two = ts.load_study("g", storage=storage, sampler=GridSampler(GRID))
    held: list[tuple[ts.Study, ts.Trial]] = []
    for i in range(4):  # asks while the other worker's trials are still running
        worker = one if i % 2 else two
        held.extend((worker, t) for t in worker.ask(n=2))
    for worker, trial in held:
        objective(trial)
        worker.tell(trial, 0.0)
    while True:
        for worker in (one, two):
            try:
                trial = worker.ask(GRID)
            except ts.SearchSpaceExhausted:
                break
            worker.tell(trial, 0.0)
        else:
            continue
        break
    params = [t.params for t in one.trials]
    assert sorted(map(key, params)) == sorted(map(key, PRODUCT))
    assert all(t.state is ts.TrialState.COMPLETE for t in one.trials)
    for worker in (one, two):
        with pytest.raises(ts.SearchSpaceExhausted):
            worker.ask()


class StaleGridSampler(GridSampler):
    """Proposes its first point as a worker that has not yet seen the others' trials would."""

    def __init__(self, search_space: Any) -> None:
        super().__init__(search_space)
        self.stale = True
        self.calls = 0

    def propose(
        self, history: History, space: ts.Space | ts.UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        self.calls += 1
        if self.stale:
            self.stale = False
            history = History([], history.directions)
        return super().propose(history, space, numbers)


def test_a_point_claimed_by_another_worker_is_not_taken_twice() -> None:
    storage = ts.storages.InMemoryStorage()
    first = ts.create_study(study_name="g", storage=storage, sampler=GridSampler(GRID))
    taken = first.ask(GRID)  # holds the first grid point
    stale = StaleGridSampler(GRID)
    late = ts.load_study("g", storage=storage, sampler=stale)
    trial = late.ask(GRID)  # proposes the first point too, loses the claim, proposes again
    assert stale.calls == 2
    assert taken.params == PRODUCT[0]
    assert trial.params == PRODUCT[1]
    assert [t.params for t in late.trials] == PRODUCT[:2]


def test_threads_on_one_study_take_each_point_once() -> None:
    study = ts.create_study(sampler=GridSampler(GRID))
    study.optimize(objective, n_jobs=4)
    assert sorted(key(t.params) for t in study.trials) == sorted(map(key, PRODUCT))


def test_failed_and_pruned_points_are_not_retried() -> None:
    def flaky(trial: ts.Trial) -> float:
        a = objective(trial)
        if a == 2:
            raise ValueError("boom")
        if a == 3:
            raise ts.TrialPruned()
        return a

    study = ts.create_study(sampler=GridSampler(GRID))
    study.optimize(flaky, catch=(ValueError,))
    assert [t.params for t in study.trials] == PRODUCT
    states = [t.state for t in study.trials]
    assert states.count(ts.TrialState.FAIL) == 4
    assert states.count(ts.TrialState.PRUNED) == 4
    with pytest.raises(ts.SearchSpaceExhausted):
        study.ask()


def test_one_sampler_can_serve_two_studies() -> None:
    sampler = GridSampler()
    first = ts.create_study(sampler=sampler)
    for _ in range(2):
        first.tell(first.ask({"p": [10, 20, 30]}), 0.0)
    second = ts.create_study(sampler=sampler)
    got = []
    for _ in range(3):
        trial = second.ask({"q": ["u", "v", "w"]})
        got.append(trial.params["q"])
        second.tell(trial, 0.0)
    assert got == ["u", "v", "w"]
    third = ts.create_study(sampler=GridSampler(GRID))
    third.optimize(objective)
    fourth = ts.create_study(sampler=third.sampler)
    fourth.optimize(objective)
    assert [t.params for t in fourth.trials] == PRODUCT


def test_grid_points_with_numpy_values_match_their_python_twins() -> None:
    np = pytest.importorskip("numpy")
    grid = {"x": list(np.linspace(0.0, 1.0, 3)), "n": list(np.arange(2))}
    study = ts.create_study(sampler=GridSampler(grid))
    study.optimize(lambda t: float(t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 1)))
    assert len(study.trials) == 6
    assert len({key(t.params) for t in study.trials}) == 6
