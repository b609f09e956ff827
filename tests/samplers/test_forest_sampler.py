"""ForestSampler through real studies: contract, conditions, constraints, batches, quality."""

from __future__ import annotations

import math
import re
import sys
from typing import Any

import numpy as np
import pytest
import scipy.stats

import tunesmith as ts
from tunesmith.models import forest as forest_module
from tunesmith.samplers import RandomSampler
from tunesmith.samplers._forest import ForestSampler, _Geometry

from ._functions import (
    BRANIN,
    BRANIN_MIN,
    HARTMANN3,
    HARTMANN3_MIN,
    branin,
    hartmann3,
    right_type,
)

pytest.importorskip("sklearn")

CONDITIONAL = ts.Space(
    {
        "lr": ts.Float(1e-5, 1e-1, log=True),
        "x": ts.Float(-3.0, 3.0),
        "layers": ts.Int(1, 8),
        "units": ts.Int(1, 512, log=True),
        "drop": ts.Float(0.0, 0.5, step=0.1),
        "act": ts.Categorical(["relu", "gelu", None]),
        "momentum": ts.Float(0.0, 0.99).when(act="relu"),
        "decay": ts.Int(0, 3).when(act=["relu", None], layers=[2, 3, 4]),
        "noise": ts.Scipy(scipy.stats.norm(0, 1)),
        "count": ts.Scipy(scipy.stats.poisson(3)),
    }
)
UNION = ts.UnionSpace(
    [
        ts.Space({"model": ["svm"], "C": ts.Float(1e-2, 1e2, log=True)}),
        ts.Space({"model": ["knn"], "k": ts.Int(1, 9, step=2), "w": ["uniform", None]}),
    ]
)


def conditional_objective(p: dict[str, Any]) -> float:
    value = (math.log10(p["lr"]) + 3) ** 2 + p["x"] ** 2 + abs(p["layers"] - 3) + p["drop"]
    value += 0.0 if p["act"] == "relu" else 1.0
    value += (p.get("momentum", 0.5) - 0.9) ** 2 + 0.1 * p.get("decay", 0)
    return float(value + 0.01 * abs(p["noise"]) + 0.01 * p["count"] + 0.001 * p["units"])


@pytest.mark.parametrize("space", [CONDITIONAL, UNION], ids=["conditional", "union"])
def test_proposals_respect_bounds_types_and_conditions(space: ts.Space | ts.UnionSpace) -> None:
    study = ts.create_study(sampler=ForestSampler(seed=0, n_startup_trials=5))
    objective = conditional_objective if space is CONDITIONAL else lambda p: len(str(p)) * 0.1
    study.optimize(lambda t: objective(t.params), n_trials=30, space=space)
    modelled = study.trials[5:]
    for t in study.trials:
        space.validate(t.params)  # bounds, grids, active and inactive parameters
        dists = space.distributions_for(t.params) if isinstance(space, ts.UnionSpace) else {}
        for name, value in t.params.items():
            dist = dists[name] if dists else space.distributions[name]
            assert right_type(dist, value), (name, value)
    branches = {t.params.get("act", t.params.get("model")) for t in modelled}
    assert len(branches) > 1
    if space is CONDITIONAL:  # the model found the good branch
        assert study.best_params["act"] == "relu"


def test_features_are_the_encoding_of_the_decoded_configuration() -> None:
    rng = np.random.default_rng(0)
    for space in (CONDITIONAL, UNION):
        geometry = _Geometry.of(space)
        U = geometry.snap(rng.random((500, space.n_dims)))
        expected = np.stack([space.encode(space.decode(u)) for u in U])
        np.testing.assert_allclose(geometry.features(U), expected, rtol=0, atol=1e-12)
        N = geometry.neighbours(U[:50], 4, rng)
        assert N.shape == (200, space.n_dims)
        assert ((N >= 0) & (N <= 1)).all()
        before, after = geometry.features(np.repeat(U[:50], 4, 0)), geometry.features(N)
        moved = (U[:50].repeat(4, 0) != N).sum(1)
        assert (moved == 1).all()  # one coordinate changes, to another value of its parameter
        assert ((before != after) & ~(np.isnan(before) & np.isnan(after))).any(1).all()


def test_constraints_lead_to_the_feasible_region() -> None:
    space = {"x": ts.Float(0, 1), "y": ts.Float(0, 1)}

    def objective(trial: ts.Trial) -> float:
        x, y = trial.params["x"], trial.params["y"]
        trial.set_constraints([0.9 - x, 0.9 - y])  # feasible in 1 % of the square, a corner
        return float((x - 0.2) ** 2 + (y - 0.2) ** 2)  # the unconstrained optimum: infeasible

    for seed in (0, 1):
        study = ts.create_study(sampler=ForestSampler(seed=seed, n_startup_trials=5))
        study.optimize(objective, n_trials=40, space=space)
        assert not any(t.feasible for t in study.trials[:5])  # the model found feasibility
        assert study.best_trial.feasible
        assert study.best_value < 2 * 0.7**2 + 0.1  # the best feasible value is 0.98
        assert sum(t.feasible for t in study.trials) >= 5  # random search: 0.4 expected


def test_ask_n_gives_distinct_configurations_that_avoid_running_trials() -> None:
    space = {"x": ts.Float(-5, 5), "n": ts.Int(1, 4), "c": ["a", "b"]}
    study = ts.create_study(sampler=ForestSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: t.params["x"] ** 2 + t.params["n"], n_trials=12, space=space)
    batch = study.ask(space, n=4)
    later = study.ask(space)  # the four are still running
    configs = [repr(sorted(t.params.items())) for t in [*batch, later]]
    assert len(set(configs)) == 5
    told = {repr(sorted(t.params.items())) for t in study.trials[:12]}
    assert not told & set(configs)


def test_a_finite_space_is_covered_without_repeats() -> None:
    space = ts.Space({"a": [0, 1, 2], "b": ["x", "y", "z"]})
    study = ts.create_study(sampler=ForestSampler(seed=0, n_startup_trials=1))
    dists = dict(space.distributions)
    for a, b in [(0, "x"), (0, "y"), (1, "x"), (1, "z"), (2, "y"), (2, "z")]:
        study.add_trial(ts.create_trial(params={"a": a, "b": b}, distributions=dists, value=a))
    rest = {(t.params["a"], t.params["b"]) for t in study.ask(space, n=3)}
    assert rest == {(0, "z"), (1, "y"), (2, "x")}


def test_seeded_runs_are_reproducible() -> None:
    space = {"x": ts.Float(-2, 2), "k": ts.Int(0, 9), "c": ["a", "b", "c"]}

    def run(seed: int) -> list[dict[str, Any]]:
        study = ts.create_study(sampler=ForestSampler(seed=seed, n_startup_trials=4))
        study.optimize(lambda t: (t.params["x"] - 1) ** 2 + t.params["k"], n_trials=12, space=space)
        for t in study.ask(space, n=3):
            study.tell(t, 0.0)
        study.optimize(lambda t: t.suggest_float("y", -1, 1) ** 2, n_trials=8)
        return [t.params for t in study.trials]

    first = run(7)
    assert run(7) == first
    assert run(8) != first


def test_define_by_run_studies_are_modelled(monkeypatch: pytest.MonkeyPatch) -> None:
    fits = []
    real_fit = forest_module.RandomForestSurrogate.fit

    def counting_fit(self: Any, X: np.ndarray, y: np.ndarray) -> Any:
        fits.append(X.shape)
        return real_fit(self, X, y)

    monkeypatch.setattr(forest_module.RandomForestSurrogate, "fit", counting_fit)
    sampler = ForestSampler(seed=0, n_startup_trials=5)
    drawn = []
    real_sample = sampler.sample_param

    def counting_sample(*args: Any) -> Any:
        drawn.append(args[1])
        return real_sample(*args)

    monkeypatch.setattr(sampler, "sample_param", counting_sample)

    def objective(trial: ts.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["linear", "poly"])
        x = trial.suggest_float("x", -3, 3)
        if kind == "poly":
            return (x - 1) ** 2 + (trial.suggest_int("degree", 2, 5) - 3) ** 2
        return 2 + x**2

    study = ts.create_study(sampler=sampler)
    study.optimize(objective, n_trials=30)
    assert len(fits) >= 20  # a model behind (nearly) every trial after the startup
    assert fits[-1][1] == 3  # on the space inferred from the trials: kind, x, degree
    assert len(drawn) <= 4  # only what no earlier trial had suggested is drawn at random
    assert study.best_params["kind"] == "poly"
    assert study.best_params["degree"] == 3


def test_a_constant_objective_and_several_objectives_work() -> None:
    space = {"x": ts.Float(0, 1), "c": ["a", "b"]}
    flat = ts.create_study(sampler=ForestSampler(seed=0, n_startup_trials=3))
    flat.optimize(lambda t: 1.0, n_trials=15, space=space)
    assert len({repr(sorted(t.params.items())) for t in flat.trials}) == 15

    study = ts.create_study(
        directions=["minimize", "minimize"], sampler=ForestSampler(seed=0, n_startup_trials=5)
    )
    study.optimize(
        lambda t: (t.params["x"] ** 2, (t.params["x"] - 1) ** 2), n_trials=25, space=space
    )
    xs = np.array([t.params["x"] for t in study.trials[5:]])
    assert xs.std() > 0.1  # random Chebyshev weights spread the trials along the front
    assert len(study.best_trials) >= 5


def test_forest_beats_random_search_on_branin_and_hartmann3() -> None:
    problems = [(branin, BRANIN, BRANIN_MIN, 40), (hartmann3, HARTMANN3, HARTMANN3_MIN, 50)]
    for f, space, optimum, budget in problems:
        gaps = {}
        for cls in (ForestSampler, RandomSampler):
            found = []
            for seed in range(5):
                study = ts.create_study(sampler=cls(seed=seed))
                for _ in range(budget):
                    trial = study.ask(space)
                    study.tell(trial, f(trial.params))
                found.append(study.best_value - optimum)
            gaps[cls] = float(np.mean(found))
        # Measured: Branin 0.06 vs 1.6, Hartmann-3 0.01 vs 0.41.
        assert gaps[ForestSampler] < 0.25 * gaps[RandomSampler], (f.__name__, gaps)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"n_startup_trials": 0}, ValueError, "`n_startup_trials` must be an int in [1, "),
        ({"n_startup_trials": 2.5}, TypeError, "`n_startup_trials` must be an int in [1, "),
        ({"n_trees": 0}, ValueError, "`n_trees` must be an int in [1, 1000], but got n_trees=0."),
        (
            {"n_trees": True},
            TypeError,
            "`n_trees` must be an int in [1, 1000], but got n_trees=True.",
        ),
        ({"seed": -1}, ValueError, "`seed` must be None or an int >= 0, but got seed=-1."),
    ],
)
def test_bad_options_are_refused(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        ForestSampler(**options)


def test_log_y_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match=re.escape("`log_y` must be a bool, but got log_y=1.")):
        ForestSampler(log_y=1)  # type: ignore[arg-type]


def test_a_missing_scikit_learn_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ts.MissingExtraError, match=r"pip install 'tunesmith\[sklearn\]'"):
        ForestSampler(seed=0)
