"""Exhaustive grid search over a finite space, without duplicates across processes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from .._errors import SearchSpaceExhausted
from ..space import Space, UnionSpace, as_space
from ..trial import TrialState
from ._base import BaseSampler, History


def _grid_key(params: Mapping[str, Any]) -> str:
    # repr tells 1, 1.0 and True apart and keeps floats exact; the hash keeps the key short.
    text = repr(sorted(params.items()))
    return "grid:" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


class GridSampler(BaseSampler):
    """Try every configuration of a grid once, in a stable order (the first name varies slowest).

    Each grid point is claimed in storage when a trial takes it, so several processes on one
    storage never evaluate a point twice. When every point is taken, ``Study.optimize`` stops and
    ``Study.ask`` raises ``SearchSpaceExhausted``. Failed points are not retried.

    Args:
        search_space: The grid: a dict of name -> list of values (or finite distribution), or a
            list of such dicts for disjoint sub-grids, as in scikit-learn's ``ParameterGrid``.
            ``None`` takes the grid from the space given to ``Study.ask(space)``.

    Example:
        >>> import tunesmith as ts
        >>> sampler = ts.samplers.GridSampler({"a": [1, 2], "b": ["x", "y"]})
        >>> study = ts.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_int("a", 1, 2) + len(t.suggest_categorical(
        ...     "b", ["x", "y"])))
        >>> [t.params for t in study.trials]
        [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """

    def __init__(self, search_space: Any = None) -> None:
        self.fixed_space = None if search_space is None else as_space(search_space)
        self._grids: dict[Space | UnionSpace, tuple[list[dict[str, Any]], list[str]]] = {}
        if self.fixed_space is not None:
            self._grid(self.fixed_space)  # fail early on a continuous parameter
        self._keys_by_number: dict[int, str] = {}

    def __repr__(self) -> str:
        return f"GridSampler({self.fixed_space!r})"

    def _grid(self, space: Space | UnionSpace) -> tuple[list[dict[str, Any]], list[str]]:
        cached = self._grids.get(space)
        if cached is None:
            try:
                grid = space.grid()
            except ValueError as exc:
                raise ValueError(f"GridSampler: {exc}") from None
            cached = self._grids[space] = (grid, [_grid_key(p) for p in grid])
        return cached

    def _taken(self, history: History) -> set[str]:
        taken = set()
        for t in history.trials:
            key = self._keys_by_number.get(t.number)
            if key is None:
                if t.state is TrialState.WAITING or not t.params:
                    continue
                key = _grid_key(t.params)
                if t.state.is_finished():  # finished params never change: remember the key
                    self._keys_by_number[t.number] = key
            taken.add(key)
        return taken

    def propose(
        self, history: History, space: Space | UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        grid, keys = self._grid(self.fixed_space or space)
        taken = self._taken(history)
        free = [dict(p) for p, k in zip(grid, keys) if k not in taken]
        if not free:
            raise SearchSpaceExhausted(f"All {len(grid)} grid points have been tried.")
        return free[: len(numbers)]

    def claim_of(self, params: Mapping[str, Any]) -> str | None:
        return _grid_key(params)

    def is_exhausted(self, history: History) -> bool:
        if self.fixed_space is None:
            return False
        grid, keys = self._grid(self.fixed_space)
        return len(self._taken(history).intersection(keys)) >= len(grid)
