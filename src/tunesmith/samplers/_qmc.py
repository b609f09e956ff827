"""Quasi-random search: scrambled Sobol' or Halton sequences from scipy.stats.qmc."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from .._checks import check_choice, check_seed
from ..space import Space, UnionSpace
from ._base import BaseSampler, History

_KINDS = ("sobol", "halton")


class QMCSampler(BaseSampler):
    """Cover the space evenly with a scrambled low-discrepancy sequence.

    Trial ``n`` takes point ``n`` of the sequence, so parallel workers never draw the same point
    and a seeded study is reproducible. In a define-by-run study the space is learnt from the
    first trial, whose parameters are drawn at random.

    Args:
        seed: Seed of the scrambling; ``None`` draws one from the OS.
        kind: ``"sobol"`` (default) or ``"halton"``.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(sampler=ts.samplers.QMCSampler(seed=0))
        >>> trials = study.ask({"x": ts.Float(0, 1)}, n=4)
        >>> sorted(int(t.params["x"] * 4) for t in trials)  # one point in each quarter
        [0, 1, 2, 3]
    """

    uses_pending = False  # proposals ignore running trials

    def __init__(
        self, *, seed: int | None = None, kind: Literal["sobol", "halton"] = "sobol"
    ) -> None:
        self.kind = check_choice(kind, "kind", _KINDS, owner="QMCSampler")
        self.seed = check_seed(seed, owner="QMCSampler")
        self._engines: dict[int, Any] = {}

    def __repr__(self) -> str:
        return f"QMCSampler(seed={self.seed}, kind={self.kind!r})"

    def _points(self, d: int, numbers: Sequence[int]) -> np.ndarray:
        engine = self._engines.get(d)
        if engine is None:
            from scipy.stats import qmc  # scipy.stats costs ~1 s to import: only when used

            cls = qmc.Sobol if self.kind == "sobol" else qmc.Halton
            engine = self._engines[d] = cls(d, scramble=True, seed=self.seed)
        rows = []
        with warnings.catch_warnings():  # Sobol' balance warnings concern batch sizes, not us
            warnings.simplefilter("ignore")
            for n in numbers:
                engine.reset()
                if n:
                    engine.fast_forward(n)
                rows.append(engine.random(1)[0])
        return np.array(rows)

    def propose(
        self, history: History, space: Space | UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        if space.n_dims == 0:
            return [{} for _ in numbers]
        return space.decode_many(self._points(space.n_dims, numbers))
