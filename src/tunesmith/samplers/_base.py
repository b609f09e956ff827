"""The sampler contract: what a sampler sees and when it is called."""

from __future__ import annotations

import random
import zlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, overload

import numpy as np

from ..distributions import Distribution
from ..records import FrozenTrial, TrialState
from ..space import Space, UnionSpace

__all__ = ["BaseSampler", "History", "ObservationCache"]


@dataclass(frozen=True, slots=True)
class History:
    """A study's trials as a sampler sees them: read-only, indexed by trial number.

    Attributes:
        trials: Every trial, in number order. RUNNING ones are there too (their ``params`` hold
            what they were asked with), so parallel suggestions can avoid them.
        directions: ``"minimize"`` or ``"maximize"`` per objective.

    Model-based samplers read it through ``observations``, which also holds the rule by which
    PRUNED trials count (no better than the median COMPLETE trial).
    """

    trials: Sequence[FrozenTrial]
    directions: tuple[str, ...]

    def with_state(self, *states: TrialState) -> list[FrozenTrial]:
        """Trials in any of ``states``."""
        return [t for t in self.trials if t.state in states]

    @overload
    def observations(
        self,
        space: Space | UnionSpace,
        *,
        constraints: Literal[False] = False,
        pruned: bool = False,
        cache: ObservationCache | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

    @overload
    def observations(
        self,
        space: Space | UnionSpace,
        *,
        constraints: Literal[True],
        pruned: bool = False,
        cache: ObservationCache | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...

    def observations(
        self,
        space: Space | UnionSpace,
        *,
        constraints: bool = False,
        pruned: bool = False,
        cache: ObservationCache | None = None,
    ) -> tuple[np.ndarray, ...]:
        """Encoded data for model-based samplers.

        Args:
            space: The space to encode the trials in; trials with a value outside it are left
                out (they come from an earlier space).
            constraints: Also return the constraint values ``C``.
            pruned: Also return PRUNED trials that have a value, imputed pessimistically (below).
            cache: The sampler's ``ObservationCache``, so that finished trials are not encoded
                again at every proposal. Without one, every trial is encoded.

        Returns:
            ``(X, Y, X_pending)``, or ``(X, Y, C, X_pending)`` with ``constraints=True``. Rows
            are trials in number order: COMPLETE trials with finite values whose parameters fit
            ``space`` (and PRUNED ones with ``pruned=True``). ``X`` is ``n x d`` (unit cube,
            ``nan`` for inactive parameters), ``Y`` is ``n x m`` with every objective turned into
            one to minimise, ``C`` is ``n x c`` (``nan`` where a trial reported no constraints),
            ``X_pending`` is ``p x d`` for RUNNING trials.

        Pruned trials: a PRUNED trial's value is its ``values`` (where the study stores its last
        reported intermediate value, if finite), else that last reported value (one objective);
        trials with no finite value are left out. As a row of ``Y`` it counts as no better than the
        median COMPLETE trial: each objective (to minimise) is ``max(own value, median of the
        COMPLETE rows)``, or its own value while no trial is COMPLETE. A pruner stops a trial
        because its curve ranked in the worse part of the study's at that step (the median
        pruner: below the median), so "no better than the median" is what pruning established.
        The worst value would claim more: it would turn a trial pruned by noise into a deep
        hole, and an outlier (a diverged run) into the value of every pruned trial. A model
        thus expects no improvement where trials were pruned, and is confident of it there, so
        its acquisition function looks elsewhere.
        """
        m = len(self.directions)
        rows = (cache if cache is not None else ObservationCache()).rows(space)
        xs: list[np.ndarray] = []
        ys: list[tuple[float, ...]] = []
        cs: list[tuple[float, ...]] = []
        was_pruned: list[bool] = []
        pending = []
        for t in self.trials:
            state = t.state
            if state is TrialState.COMPLETE:
                values = t.values
            elif state is TrialState.PRUNED and pruned:
                values = _pruned_values(t, m)
            else:
                if state is TrialState.RUNNING and t.params:  # its params may still change
                    x = encode_if_fits(space, t.params)
                    if x is not None:
                        pending.append(x)
                continue
            if values is None:
                continue
            params = t.params
            hit = rows.get(t.number)
            if hit is not None and hit[0] is params:  # the same finished record: encoded once
                x = hit[1]
            else:
                x = encode_if_fits(space, params)
                rows[t.number] = (params, x)
            if x is not None:
                xs.append(x)
                ys.append(values)
                cs.append(t.constraints or ())
                was_pruned.append(state is TrialState.PRUNED)
        n, d = len(xs), space.n_dims
        signs = np.array([1.0 if s == "minimize" else -1.0 for s in self.directions])
        X = np.array(xs).reshape(n, d)
        Y = signs * np.array(ys, dtype=float).reshape(n, m)
        ok = np.isfinite(Y).all(axis=1)
        if not ok.all():
            X, Y = X[ok], Y[ok]
        if any(was_pruned):
            _impute_pruned(Y, np.array(was_pruned)[ok])
        X_pending = np.array(pending).reshape(len(pending), d)
        if not constraints:
            return X, Y, X_pending
        widths = {len(c) for c in cs}
        if len(widths) == 1:  # the usual case: every trial reports as many (or none)
            C = np.array(cs, dtype=float).reshape(n, widths.pop())
        else:
            C = np.full((n, max(widths, default=0)), np.nan)
            for i, c in enumerate(cs):
                C[i, : len(c)] = c
        return X, Y, C[ok], X_pending


def _pruned_values(t: FrozenTrial, n_objectives: int) -> tuple[float, ...] | None:
    """A PRUNED trial's values: ``values``, else its last reported value (one objective)."""
    if t.values is not None:
        return t.values
    if n_objectives == 1 and t.intermediate_values:
        return (t.intermediate_values[max(t.intermediate_values)],)
    return None


def _impute_pruned(Y: np.ndarray, pruned: np.ndarray) -> None:
    """In place: rows ``pruned`` of ``Y`` (to minimise) no better than the median other row."""
    complete = ~pruned
    if complete.any():
        Y[pruned] = np.maximum(Y[pruned], np.median(Y[complete], axis=0))


#: A finished trial's ``params`` and their encoding (``None``: they do not fit the space).
_Encoded: TypeAlias = tuple[Mapping[str, Any], np.ndarray | None]


class ObservationCache:
    """Encodings of finished trials, kept by a sampler from one proposal to the next.

    ``History`` is rebuilt at every ask, so it cannot keep them itself: a model-based sampler
    owns one cache and passes it to every ``History.observations`` call. A finished trial never
    changes, so it is encoded once per space: its entry (trial number -> its ``params`` and
    their encoding, ``None`` if they do not fit) is reused while the trial's record holds the
    same ``params`` object (the study replaces only the records that changed), and all entries
    are dropped when the space changes (a define-by-run space grows). RUNNING trials are not
    cached: their parameters may still change. A pickled cache comes back empty.
    """

    __slots__ = ("_entry",)

    def __init__(self) -> None:
        self._entry: tuple[Space | UnionSpace | None, dict[int, _Encoded]] = (None, {})

    def __reduce__(self) -> tuple[type[ObservationCache], tuple[()]]:
        return (ObservationCache, ())

    def rows(self, space: Space | UnionSpace) -> dict[int, _Encoded]:
        """The entries for ``space``: a new, empty dict if the last call had another space.

        The entry of a space is replaced as a whole, never cleared, so a caller holding the
        dict of an earlier space cannot write encodings of that space into the new one.
        """
        last, rows = self._entry
        if last is not space and last != space:
            rows = {}
            self._entry = (space, rows)
        return rows


def encode_if_fits(space: Space | UnionSpace, params: Mapping[str, Any]) -> np.ndarray | None:
    """``space.encode`` of the parameters ``space`` knows, or ``None`` if a value lies outside it.

    Earlier trials may come from another space (a define-by-run space grows).
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
