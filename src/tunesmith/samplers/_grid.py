"""Exhaustive grid search over a finite space, without duplicates across processes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._errors import SearchSpaceExhausted
from ..records import FrozenTrial, TrialState
from ..space import Space, UnionSpace, as_space
from ._base import BaseSampler, History


def _grid_key(params: Mapping[str, Any]) -> str:
    # repr tells 1, 1.0 and True apart and keeps floats exact; the hash keeps the key short.
    # numpy scalars count as the Python values they equal, as they do after a storage round trip.
    items = sorted((k, v.item() if isinstance(v, np.generic) else v) for k, v in params.items())
    return "grid:" + hashlib.sha1(repr(items).encode(), usedforsecurity=False).hexdigest()


class _Grid:
    """The points of one grid, each once, with their claim keys."""

    __slots__ = ("keys", "names", "points")

    def __init__(self, space: Space | UnionSpace) -> None:
        try:
            grid = space.grid()
        except ValueError as exc:
            raise ValueError(f"GridSampler: {exc}") from None
        points: dict[str, dict[str, Any]] = {}
        for p in grid:  # overlapping sub-grids: a point is kept where it first appears
            points.setdefault(_grid_key(p), p)
        self.keys = list(points)
        self.points = list(points.values())
        self.names = frozenset(space.names)


class GridSampler(BaseSampler):
    """Try every configuration of a grid once, in a stable order (the first name varies slowest).

    Each grid point is claimed in storage when a trial takes it, so several processes on one
    storage never evaluate a point twice. When every point is taken, ``Study.optimize`` stops and
    ``Study.ask`` raises ``SearchSpaceExhausted``. Failed points are not retried. A trial takes
    the grid point its parameters agree with on the grid's names: a define-by-run objective may
    draw more parameters than the grid has (they are drawn at random).

    Args:
        search_space: The grid: a dict of name -> list of values (or finite distribution), or a
            list of such dicts for disjoint sub-grids, as in scikit-learn's ``ParameterGrid``
            (a configuration in several sub-grids is tried once). ``None`` takes the grid from
            the space given to ``Study.ask(space)``; with a grid of its own, ``ask(space)`` needs
            every grid point to be a configuration of ``space``.

    Example:
        >>> import tunesmith as ts
        >>> sampler = ts.samplers.GridSampler({"a": [1, 2], "b": ["x", "y"]})
        >>> study = ts.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_int("a", 1, 2) + len(t.suggest_categorical(
        ...     "b", ["x", "y"])))
        >>> [t.params for t in study.trials]
        [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """

    uses_pending = False  # proposals ignore running trials

    def __init__(self, search_space: Any = None) -> None:
        self.fixed_space = None if search_space is None else as_space(search_space)
        self._grids: dict[Space | UnionSpace, _Grid] = {}
        if self.fixed_space is not None:
            self._grid(self.fixed_space)  # fail early on a continuous parameter
        # Key of each finished trial, checked by identity so that one sampler may serve several
        # studies: number -> (the immutable record, the grid, its key).
        self._keys: dict[int, tuple[FrozenTrial, _Grid, str]] = {}
        # Keys proposed for the trial being stored; the study proposes again for the same trial
        # number only when another process claimed the point first.
        self._lost: tuple[int, Sequence[FrozenTrial], set[str]] | None = None

    def __repr__(self) -> str:
        return f"GridSampler({self.fixed_space!r})"

    def _grid(self, space: Space | UnionSpace) -> _Grid:
        grid = self._grids.get(space)
        if grid is None:
            grid = self._grids[space] = _Grid(space)
        return grid

    def _key(self, grid: _Grid, t: FrozenTrial) -> str:
        cached = self._keys.get(t.number)
        if cached is not None and cached[0] is t and cached[1] is grid:
            return cached[2]
        key = _grid_key({k: v for k, v in t.params.items() if k in grid.names})
        if t.state.is_finished():  # finished records never change
            self._keys[t.number] = (t, grid, key)
        return key

    def _taken(self, history: History, grid: _Grid) -> set[str]:
        return {
            self._key(grid, t)
            for t in history.trials
            if t.state is not TrialState.WAITING and t.params
        }

    def propose(
        self, history: History, space: Space | UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        grid = self._grid(self.fixed_space or space)
        taken = self._taken(history, grid)
        lost = self._lost
        if (
            lost is not None
            and len(numbers) == 1
            and lost[0] == numbers[0]
            and lost[1] is history.trials
        ):
            taken |= lost[2]  # proposed before for this trial, then claimed by someone else
        else:
            lost = None
        out: list[dict[str, Any]] = []
        for point, key in zip(grid.points, grid.keys, strict=True):
            if key not in taken:
                out.append(dict(point))
                if len(out) == len(numbers):
                    break
        if not out:
            raise SearchSpaceExhausted(f"All {len(grid.points)} grid points have been tried.")
        if self.fixed_space is not None and space != self.fixed_space:
            for point in out:  # ask(space) with a space other than the sampler's grid
                try:
                    space.validate(point)
                except ValueError as exc:
                    raise ValueError(
                        f"GridSampler: the grid point {point!r} is not a configuration of the "
                        f"space given to ask(): {exc}"
                    ) from None
        if len(numbers) == 1:
            keys = {_grid_key(out[0])} | (lost[2] if lost is not None else set())
            self._lost = (numbers[0], history.trials, keys)
        return out

    def claim_of(self, params: Mapping[str, Any]) -> str | None:
        return _grid_key(params)

    def remaining(self, history: History, space: Space | UnionSpace) -> int | None:
        grid = self._grid(self.fixed_space or space)
        taken = self._taken(history, grid)
        return sum(key not in taken for key in grid.keys)
