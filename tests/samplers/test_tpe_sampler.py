"""TPESampler through real studies: domains, conditions, growing spaces, constraints, batches,
reproducibility, and that it beats random search (fixed seeds, generous margins)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tunesmith as ts
from tunesmith.records import TrialState
from tunesmith.samplers import History, RandomSampler, TPESampler

from ._functions import BRANIN, BRANIN_MIN, HARTMANN3, HARTMANN3_MIN, branin, hartmann3


def _run(sampler: Any, space: Any, f: Any, n: int) -> ts.Study:
    study = ts.create_study(sampler=sampler)
    study.optimize(lambda t: f(t.params), n_trials=n, space=space)
    return study


# -- options -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("n_startup_trials", 0, ">= 1"),
        ("n_candidates", 0, ">= 1"),
        ("min_bandwidth", 0.0, "0 < min_bandwidth <= 1"),
        ("min_bandwidth", 1.5, "0 < min_bandwidth <= 1"),
        ("prior_weight", 0, "prior_weight > 0"),
        ("prior_weight", math.inf, "prior_weight > 0"),
        ("gamma", "cube", "fraction 0 < gamma <= 1"),
        ("gamma", 0.0, "fraction 0 < gamma <= 1"),
        ("gamma", 1.5, "fraction 0 < gamma <= 1"),
        ("weights", "newest", "one of"),
        ("bandwidth", "silverman", "one of"),
        ("categorical_kernel", "uniform", "one of"),
        ("seed", -1, "int >= 0"),
    ],
)
def test_out_of_range_options_are_refused_with_the_value_and_the_rule(
    option: str, value: Any, rule: str
) -> None:
    with pytest.raises(ValueError, match=rule) as info:
        TPESampler(**{option: value})
    assert repr(value) in str(info.value)


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("n_startup_trials", 2.5, ">= 1"),
        ("n_candidates", "24", ">= 1"),
        ("min_bandwidth", True, "0 < min_bandwidth <= 1"),
        ("weights", 3, "one of"),
        ("multivariate", 1, "a bool"),
    ],
)
def test_options_of_the_wrong_type_are_refused_with_the_value_and_the_rule(
    option: str, value: Any, rule: str
) -> None:
    with pytest.raises(TypeError, match=rule) as info:
        TPESampler(**{option: value})
    assert repr(value) in str(info.value)


def test_repr_shows_the_options() -> None:
    r = repr(TPESampler(seed=3, n_candidates=32, bandwidth="hyperopt"))
    assert "seed=3" in r and "n_candidates=32" in r and "'hyperopt'" in r


# -- domains and conditions --------------------------------------------------------------------
MIXED = ts.Space(
    {
        "lr": ts.Float(1e-5, 1e-1, log=True),
        "drop": ts.Float(0.0, 0.5, step=0.1),
        "units": ts.Int(16, 1024, log=True),
        "layers": ts.Int(1, 9, step=2),
        "big": ts.Int(0, 10**6),
        "flag": ts.Categorical([1, 1.0, True, None, (1, "a")]),
        "kernel": ts.Categorical(["linear", "poly", "rbf"]),
        "degree": ts.Int(2, 5).when(kernel="poly"),
        "gamma": ts.Float(1e-3, 1.0, log=True).when(kernel=["poly", "rbf"]),
    }
)


def _mixed_loss(p: dict[str, Any]) -> float:
    loss: float = (math.log10(p["lr"]) + 3) ** 2 + p["drop"] + abs(p["layers"] - 5) / 4
    loss += 0.5 * (p["kernel"] == "linear") + 0.1 * p.get("degree", 0)
    return loss + (math.log10(p["gamma"]) + 1) ** 2 if "gamma" in p else loss


@pytest.mark.parametrize("multivariate", [True, False])
def test_values_keep_their_domain_type_and_conditions(multivariate: bool) -> None:
    study = _run(TPESampler(seed=0, multivariate=multivariate), MIXED, _mixed_loss, 40)
    flags = set()
    for t in study.trials:
        MIXED.validate(t.params)  # in range, active ones present, inactive ones absent
        assert type(t.params["units"]) is int and type(t.params["big"]) is int
        assert type(t.params["drop"]) is float and type(t.params["lr"]) is float
        flags.add(repr(t.params["flag"]))
        assert ("degree" in t.params) == (t.params["kernel"] == "poly")
    assert flags <= {"1", "1.0", "True", "None", "(1, 'a')"}
    assert len(flags) > 1


def test_children_are_modelled_where_they_are_active() -> None:
    # The same child `x` is good near 0.15 under branch "a" and near 0.85 under "b": a model
    # that pooled x over branches would not tell them apart.
    space = ts.Space(
        {
            "branch": ts.Categorical(["a", "b", "none"]),
            "x": ts.Float(0, 1).when(branch=["a", "b"]),
            "y_b": ts.Float(0, 1).when(branch="b"),
        }
    )

    def f(p: dict[str, Any]) -> float:
        if p["branch"] == "none":
            return 1.0
        target = 0.15 if p["branch"] == "a" else 0.85
        extra = 0.0 if p["branch"] == "a" else 0.2 * (p["y_b"] - 0.5) ** 2
        return float((p["x"] - target) ** 2 + extra)

    xs: dict[str, list[float]] = {"a": [], "b": []}
    for seed in range(3):
        study = _run(TPESampler(seed=seed), space, f, 60)
        for t in study.trials[30:]:
            space.validate(t.params)
            if t.params["branch"] in xs:
                xs[t.params["branch"]].append(t.params["x"])
    assert len(xs["a"]) >= 10 and len(xs["b"]) >= 10
    assert np.median(xs["a"]) < 0.4
    assert np.median(xs["b"]) > 0.6


def test_define_by_run_conditional_params_are_modelled_not_random() -> None:
    def objective(trial: ts.Trial) -> float:
        if trial.suggest_categorical("model", ["good", "bad"]) == "good":
            return (trial.suggest_float("xg", 0, 1) - 0.2) ** 2
        return 0.5 + (trial.suggest_float("xb", 0, 1) - 0.7) ** 2

    study = ts.create_study(sampler=TPESampler(seed=1))
    study.optimize(objective, n_trials=60)
    late = study.trials[30:]
    assert sum(t.params["model"] == "good" for t in late) >= 20
    xg = [t.params["xg"] for t in late if "xg" in t.params]
    assert np.median(np.abs(np.array(xg) - 0.2)) < 0.1


def test_a_define_by_run_space_that_grows_works() -> None:
    def objective(trial: ts.Trial) -> float:
        n_layers = trial.suggest_int("n_layers", 1, 3)
        total = 0.0
        for i in range(n_layers):  # new parameters appear with deeper networks
            total += (trial.suggest_float(f"w{i}", -1, 1) - 0.1 * i) ** 2
        if trial.number >= 25:  # a parameter that only later trials have
            total += (trial.suggest_float("late", 0, 1) - 0.5) ** 2
        trial.suggest_categorical("opt", ["adam", "sgd"])
        return total

    study = ts.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
    study.optimize(objective, n_trials=45)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert {"w0", "w1", "w2", "late"} <= set().union(*(t.params for t in study.trials))


def test_union_space() -> None:
    space = ts.as_space(
        [
            {"kernel": ["linear"], "C": ts.Float(1e-3, 1e3, log=True)},
            {"kernel": ["rbf"], "C": ts.Float(1e-3, 1e3, log=True), "g": ts.Float(1e-4, 1)},
        ]
    )

    def f(p: dict[str, Any]) -> float:
        return abs(math.log10(p["C"])) + float(p.get("g", 0.5))

    study = _run(TPESampler(seed=0), space, f, 30)
    for t in study.trials:
        space.validate(t.params)
    assert study.best_value < 0.5


# -- constraints, pruning, several objectives ----------------------------------------------------
def test_constraints_push_towards_the_feasible_region() -> None:
    # minimise x + y subject to x + y >= 1.2 (feasible when 1.2 - x - y <= 0)
    def objective(trial: ts.Trial) -> float:
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.set_constraints([1.2 - x - y])
        return x + y

    study = ts.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=50)
    best = study.best_trial
    assert best.feasible and best.value is not None
    assert 1.2 <= best.value < 1.22
    late = study.trials[25:]
    # The optimum lies on the boundary, so TPE keeps probing both sides of it; uniform draws
    # would be feasible 32% of the time (8 of 25).
    assert sum(t.feasible for t in late) >= 11


def test_infeasible_trials_are_bad_and_rank_by_violation() -> None:
    rec = [
        ts.create_trial(
            params={"x": 0.1}, distributions={"x": ts.Float(0, 1)}, value=0.0, constraints=[0.5]
        ),
        ts.create_trial(
            params={"x": 0.5}, distributions={"x": ts.Float(0, 1)}, value=9.0, constraints=[-1.0]
        ),
        ts.create_trial(
            params={"x": 0.9}, distributions={"x": ts.Float(0, 1)}, value=1.0, constraints=[0.1]
        ),
        ts.create_trial(
            params={"x": 0.3},
            distributions={"x": ts.Float(0, 1)},
            state=TrialState.PRUNED,
            intermediate_values={3: 0.5},
        ),
    ]
    study = ts.create_study()
    study.add_trials(rec)
    sampler = TPESampler(seed=0)
    space = ts.Space({"x": ts.Float(0, 1)})
    obs = sampler._observations(History(study.trials, ("minimize",)), space)
    order = obs.ranking(obs.done_rows()).tolist()
    assert order == [1, 3, 2, 0]  # feasible, pruned, then by violation 0.1 < 0.5


def test_several_objectives() -> None:
    study = ts.create_study(directions=["minimize", "minimize"], sampler=TPESampler(seed=0))
    space = {"x": ts.Float(0, 1), "y": ts.Float(0, 1)}
    study.optimize(
        lambda t: (t.params["x"], (1 - t.params["x"]) ** 2 + t.params["y"]),
        n_trials=30,
        space=space,
    )
    front = study.best_trials
    assert front and np.mean([t.params["y"] for t in study.trials[15:]]) < 0.4


def test_pruned_trials_are_used() -> None:
    def objective(trial: ts.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.report((x - 0.3) ** 2, 1)
        if x > 0.6:
            raise ts.TrialPruned
        return (x - 0.3) ** 2

    study = ts.create_study(sampler=TPESampler(seed=0))
    study.optimize(objective, n_trials=30)
    assert any(t.state is TrialState.PRUNED for t in study.trials)
    assert study.best_value < 0.01


# -- parallel, reproducible ----------------------------------------------------------------------
def test_batch_of_asks_gives_distinct_points() -> None:
    study = ts.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
    space = {"x": ts.Float(0, 1), "k": ts.Int(0, 3)}
    for t in study.ask(space, n=6):
        study.tell(t, (t.params["x"] - 0.5) ** 2 + t.params["k"])
    for _ in range(3):
        batch = study.ask(space, n=4)
        assert len({(t.params["x"], t.params["k"]) for t in batch}) == 4
        for t in batch:
            study.tell(t, (t.params["x"] - 0.5) ** 2 + t.params["k"])


def test_running_trials_count_as_bad_observations() -> None:
    space = {"x": ts.Float(0, 1)}
    study = ts.create_study(sampler=TPESampler(seed=0, n_startup_trials=3))
    for x in (0.1, 0.5, 0.9, 0.45, 0.55):
        study.add_trial(ts.create_trial(params={"x": x}, distributions=space, value=(x - 0.5) ** 2))
    sampler = TPESampler(seed=0, n_startup_trials=3)
    alone = sampler.propose(History(study.trials, ("minimize",)), ts.Space(space), [99])[0]["x"]
    for _ in range(4):  # four workers are evaluating that very point
        study.enqueue_trial({"x": alone})
        study.ask(space)
    history = History(study.trials, ("minimize",))
    assert sum(t.state is TrialState.RUNNING for t in history.trials) == 4
    again = sampler.propose(history, ts.Space(space), [99])[0]["x"]
    assert abs(again - alone) > 0.01


@pytest.mark.parametrize("space", [MIXED, None])
def test_seeded_runs_reproduce_exactly(space: ts.Space | None) -> None:
    def objective(trial: ts.Trial) -> float:
        return (
            _mixed_loss(trial.params)
            if space is not None
            else (trial.suggest_float("a", -1, 1) ** 2 + trial.suggest_int("b", 0, 4))
        )

    def params(seed: int) -> list[dict[str, Any]]:
        study = ts.create_study(sampler=TPESampler(seed=seed))
        study.optimize(objective, n_trials=25, space=space)
        return [t.params for t in study.trials]

    assert params(5) == params(5)
    assert params(5) != params(6)


def test_sample_param_models_a_parameter_the_proposal_lacks() -> None:
    dist = ts.Float(0, 1)
    study = ts.create_study()
    study.add_trials(
        ts.create_trial(params={"x": x}, distributions={"x": dist}, value=(x - 0.8) ** 2)
        for x in np.linspace(0, 1, 21)
    )
    sampler = TPESampler(seed=0)
    history = History(study.trials, ("minimize",))
    values = [sampler.sample_param(history, "x", dist, 100 + i, {}) for i in range(20)]
    assert np.median(np.abs(np.array(values) - 0.8)) < 0.15
    fresh = [sampler.sample_param(history, "new", dist, 100 + i, {}) for i in range(20)]
    assert min(fresh) < 0.3 and max(fresh) > 0.7  # no trial has it: uniform


# -- better than random search ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("space", "f", "n", "optimum"),
    [(BRANIN, branin, 40, BRANIN_MIN), (HARTMANN3, hartmann3, 50, HARTMANN3_MIN)],
    ids=["branin", "hartmann3"],
)
def test_beats_random_search(space: Any, f: Any, n: int, optimum: float) -> None:
    seeds = range(5)
    tpe = np.mean([_run(TPESampler(seed=s), space, f, n).best_value - optimum for s in seeds])
    rnd = np.mean([_run(RandomSampler(seed=s), space, f, n).best_value - optimum for s in seeds])
    assert tpe < 0.6 * rnd


def test_a_large_study_subsamples_the_bad_observations() -> None:
    dist = {"x": ts.Float(0, 1), "y": ts.Float(0, 1)}
    rng = np.random.default_rng(0)
    study = ts.create_study(sampler=TPESampler(seed=0))
    study.add_trials(
        ts.create_trial(
            params={"x": float(x), "y": float(y)}, distributions=dist, value=(x - 0.3) ** 2 + y
        )
        for x, y in rng.random((1500, 2))
    )
    trials = study.ask(dist, n=3)
    assert len({t.params["x"] for t in trials}) == 3
    assert all(abs(t.params["x"] - 0.3) < 0.15 and t.params["y"] < 0.2 for t in trials)
    again = TPESampler(seed=0).propose(
        History(study.trials[:1500], ("minimize",)), ts.Space(dist), [1500, 1501, 1502]
    )
    assert again == [t.params for t in trials]
