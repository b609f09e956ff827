"""Helpers shared by the sampler tests.

Branin and Hartmann-3 over named parameters wrap the benchmark suite's array functions
(``bench/bo/problems.py``), so the tests and the benchmark optimise the very same functions.
``right_type`` checks the Python type a sampler gave a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import scipy.stats
from bench.bo.problems import PROBLEMS

import tunesmith as ts
from tunesmith.space import Distribution

BRANIN = {"x1": ts.Float(-5, 10), "x2": ts.Float(0, 15)}
BRANIN_MIN = 0.397887
HARTMANN3 = {f"x{i}": ts.Float(0, 1) for i in range(3)}
HARTMANN3_MIN = -3.862780


def _function(name: str) -> Callable[[np.ndarray], np.ndarray]:
    function = PROBLEMS[name].function
    assert function is not None
    return function


_branin = _function("branin")
_hartmann3 = _function("hartmann-3")


def branin(p: Mapping[str, Any]) -> float:
    return float(_branin(np.array([p["x1"], p["x2"]])))


def hartmann3(p: Mapping[str, Any]) -> float:
    return float(_hartmann3(np.array([p["x0"], p["x1"], p["x2"]])))


def right_type(dist: Distribution, value: Any) -> bool:
    if isinstance(dist, ts.Float):
        return type(value) is float
    if isinstance(dist, ts.Int):
        return type(value) is int
    if isinstance(dist, ts.Categorical):
        return any(value is c for c in dist.choices)
    if isinstance(dist, ts.Scipy):
        return type(value) is (
            int if isinstance(dist.frozen.dist, scipy.stats.rv_discrete) else float
        )
    raise AssertionError(dist)
