"""Uniform random search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._checks import check_seed
from ..space import Space, UnionSpace
from ._base import BaseSampler, History, trial_rng


class RandomSampler(BaseSampler):
    """Draw every parameter uniformly (in log space for ``log=True``), independently per trial.

    Each trial's draws come from a generator seeded by ``(seed, trial number)``, so a seeded study
    is reproducible, resuming it does not repeat configurations, and several processes sharing
    one seed never draw the same configuration twice.

    Args:
        seed: Seed for reproducible runs; ``None`` draws one from the OS.

    Example:
        >>> import tunesmith as ts
        >>> result = ts.minimize(lambda x: (x - 1) ** 2, {"x": ts.Float(-5, 5)}, n_trials=50,
        ...                      sampler=ts.samplers.RandomSampler(seed=0))
        >>> abs(result.best_params["x"] - 1) < 0.5
        True
    """

    uses_pending = False  # proposals ignore running trials

    def __init__(self, *, seed: int | None = None) -> None:
        self.seed = check_seed(seed, owner="RandomSampler")

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self.seed})"

    def propose(
        self, history: History, space: Space | UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        d = space.n_dims
        out = []
        for n in numbers:
            draw = trial_rng(self.seed, n).random
            out.append(space.decode([draw() for _ in range(d)]))
        return out
