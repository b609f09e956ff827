"""The benchmark problems: known optima of the synthetic functions, and every space round-trips."""

from __future__ import annotations

import numpy as np
import pytest
from bench.bo.problems import PROBLEMS, SYNTHETIC, Problem
from scipy.optimize import minimize

import tunesmith as ts


def _bounds(problem: Problem) -> np.ndarray:
    return np.array([[d.low, d.high] for d in problem.space.values()])


@pytest.mark.parametrize("problem", SYNTHETIC, ids=lambda p: p.name)
def test_known_optimum(problem: Problem) -> None:
    assert problem.optimum is not None and problem.minimizer is not None
    assert problem.function is not None
    at = dict(zip(ts.Space(problem.space).names, problem.minimizer, strict=True))
    assert problem.objective(at) == pytest.approx(problem.optimum, abs=1e-9)
    bounds = _bounds(problem)
    # Nothing does better: not a local search from the minimiser, not 20,000 random points.
    local = minimize(problem.function, problem.minimizer, bounds=bounds, method="L-BFGS-B")
    assert local.fun >= problem.optimum - 1e-9
    x = np.random.default_rng(0).uniform(bounds[:, 0], bounds[:, 1], (20_000, len(bounds)))
    assert problem.function(x).min() >= problem.optimum


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=lambda p: p.name)
def test_space_round_trips(problem: Problem) -> None:
    space = ts.Space(problem.space)
    assert 30 <= problem.budget <= 100
    for u in np.random.default_rng(0).random((50, space.n_dims)):
        params = space.decode(u)
        space.validate(params)
        assert space.decode(space.encode(params)) == params


def test_families() -> None:
    ml = [p for p in PROBLEMS.values() if p.family == "ml"]
    assert all(p.optimum is None for p in ml)
    assert any(ts.Space(p.space).conditions for p in ml)
    assert {p.family for p in PROBLEMS.values()} == {"synthetic-2-3d", "synthetic-4-8d", "ml"}
