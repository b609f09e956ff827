"""Samplers: grid, random and quasi-random search (model-based samplers build on the same base)."""

from __future__ import annotations

from ._base import BaseSampler, History
from ._grid import GridSampler
from ._qmc import QMCSampler
from ._random import RandomSampler

__all__ = ["BaseSampler", "GridSampler", "History", "QMCSampler", "RandomSampler"]
