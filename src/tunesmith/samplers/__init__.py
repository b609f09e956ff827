"""Samplers: grid, random and quasi-random search, and model-based Bayesian optimization."""

from __future__ import annotations

from ._auto import AutoSampler
from ._base import BaseSampler, History, ObservationCache
from ._forest import ForestSampler
from ._gp import GPSampler
from ._grid import GridSampler
from ._qmc import QMCSampler
from ._random import RandomSampler
from ._tpe import TPESampler

__all__ = [
    "AutoSampler",
    "BaseSampler",
    "ForestSampler",
    "GPSampler",
    "GridSampler",
    "History",
    "ObservationCache",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
]
