"""The sampler contract: what a sampler sees and when it is called."""

from __future__ import annotations

import random
import zlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..space import Distribution, Space, UnionSpace
from ..trial import FrozenTrial, TrialState

__all__ = ["BaseSampler", "History"]


@dataclass(frozen=True, slots=True)
class History:
    """A study's trials as a sampler sees them: read-only, indexed by trial number.

    Attributes:
        trials: Every trial, in number order. RUNNING ones are there too (their ``params`` hold
            what they were asked with), so parallel suggestions can avoid them.
        directions: ``"minimize"`` or ``"maximize"`` per objective.
    """

    trials: Sequence[FrozenTrial]
    directions: tuple[str, ...]

    def with_state(self, *states: TrialState) -> list[FrozenTrial]:
        """Trials in any of ``states``."""
        return [t for t in self.trials if t.state in states]

    def observations(self, space: Space | UnionSpace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Encoded data for model-based samplers.

        Returns:
            ``(X, Y, X_pending)``: ``X`` is ``n x d`` (unit cube, ``nan`` for inactive parameters)
            for COMPLETE trials whose parameters fit ``space``, ``Y`` is ``n x m`` with every
            objective turned into one to minimise, ``X_pending`` is ``p x d`` for RUNNING trials.
        """
        signs = np.array([1.0 if d == "minimize" else -1.0 for d in self.directions])
        xs, ys, pending = [], [], []
        for t in self.trials:
            if t.state is TrialState.COMPLETE and t.values is not None:
                x = encode_if_fits(space, t.params)
                if x is not None:
                    xs.append(x)
                    ys.append(signs * np.asarray(t.values, dtype=float))
            elif t.state is TrialState.RUNNING and t.params:
                x = encode_if_fits(space, t.params)
                if x is not None:
                    pending.append(x)
        d, m = space.n_dims, len(self.directions)
        return (
            np.array(xs).reshape(len(xs), d),
            np.array(ys).reshape(len(ys), m),
            np.array(pending).reshape(len(pending), d),
        )


def encode_if_fits(space: Space | UnionSpace, params: Mapping[str, Any]) -> np.ndarray | None:
    """``space.encode`` of the parameters ``space`` knows, or ``None`` if a value lies outside it.

    For samplers' own observation caches: earlier trials may come from another space.
    """
    try:
        return space.encode({k: v for k, v in params.items() if k in space})
    except (ValueError, TypeError):  # a value outside today's space (the space changed)
        return None


class BaseSampler(ABC):
    """Proposes configurations. Samplers never call the objective nor touch storage.

    Call order, from ``Study.ask``:
        1. ``propose(history, space, numbers)``: one configuration per new trial number, all at
           once so a model-based sampler can make a batch diverse. ``space`` is the declared
           space of ``ask(space)``; for define-by-run trials it is ``fixed_space`` if the sampler
           has one, else the space inferred from earlier trials (possibly empty).
        2. ``claim_of(params)``: a key no other trial of the study may hold (the grid point), or
           ``None``. If another process took it first, the study syncs and calls ``propose``
           again for that trial.
        3. ``sample_param(history, name, distribution, number, params)``: for each
           define-by-run parameter the proposal does not cover.

    Before 1, ``remaining(history, space)`` bounds how many trials are created (a grid with 3
    points left gets at most 3). Raise ``SearchSpaceExhausted`` from ``propose`` when nothing is
    left to try.
    """

    #: A space the sampler brings itself (a grid), used for define-by-run trials.
    fixed_space: Space | UnionSpace | None = None

    #: Whether ``propose`` looks at RUNNING trials. If so, the study stores the proposal of a
    #: define-by-run trial when it is asked (not only its used parameters at tell), so that
    #: samplers in other worker processes see it too; samplers that ignore running trials
    #: (random, quasi-random, grid) save that write.
    uses_pending: bool = True

    @abstractmethod
    def propose(
        self, history: History, space: Space | UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        """One configuration of ``space`` (active parameters only) per trial number."""

    def sample_param(
        self,
        history: History,
        name: str,
        distribution: Distribution,
        number: int,
        params: Mapping[str, Any],
    ) -> Any:
        """A value for one define-by-run parameter; by default drawn uniformly at random."""
        return distribution.decode(trial_rng(getattr(self, "seed", 0) or 0, number, name).random())

    def claim_of(self, params: Mapping[str, Any]) -> str | None:
        """A study-wide unique key for ``params``, or ``None`` when duplicates are fine."""
        return None

    def remaining(self, history: History, space: Space | UnionSpace) -> int | None:
        """How many configurations are left to propose, or ``None`` for no limit.

        Called before new trials are created, so it may also refuse a space it cannot search
        (raise ``ValueError``) without leaving a trial behind.
        """
        return None


def trial_rng(seed: int, number: int, name: str | None = None) -> random.Random:
    """Generator for one trial (or one parameter of it), seeded by ``(seed, number, name)``.

    Draws therefore depend on neither the order of suggestions nor on which process runs the
    trial. Python's Mersenne Twister is seeded in microseconds, far cheaper than numpy's
    ``SeedSequence``; the overhead per trial matters for cheap objectives.
    """
    salt = 0 if name is None else zlib.crc32(name.encode()) + 1
    return random.Random(((seed << 64 | number) << 33) | salt)
