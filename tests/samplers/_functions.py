"""Branin and Hartmann-3 over named parameters, for the samplers' beat-random-search tests.

They wrap the benchmark suite's array functions (``bench/bo/problems.py``), so the tests and the
benchmark optimise the very same functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from bench.bo.problems import PROBLEMS

import tunesmith as ts

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
