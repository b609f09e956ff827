"""Bayesian optimisation with a random-forest surrogate, in the style of SMAC."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import check_bool, check_int, check_seed
from ..distributions import Categorical, Distribution, Fixed, Float, Int, Scipy
from ..models.forest import (
    RandomForestSurrogate,
    local_search,
    log_scale,
    require_sklearn,
)
from ..space import Space, UnionSpace
from ._base import BaseSampler, History, ObservationCache, trial_rng
from ._qmc import QMCSampler

_MAX_BINS = 1024  # discrete parameters with more values are searched as continuous ones
_STEP_BINS = 16  # ordinal parameters with more values take Gaussian steps, not +-1 steps
_N_RANDOM = 1000  # random candidates per proposal
_N_STARTS = 5  # local searches from the best observed points, and as many from random ones
_N_NEIGHBOURS = 16
_MAX_STEPS = 20
_RANDOM_PROBABILITY = 0.1  # proposals drawn at random instead (SMAC interleaves 20 %)
_RHO = 0.05  # augmented Chebyshev scalarisation (ParEGO)


@dataclass(frozen=True, slots=True)
class _Requirement:
    """Dimension ``parent`` must be active and inside one of the intervals ``[low, high]``."""

    parent: int
    low: np.ndarray
    high: np.ndarray


@dataclass(frozen=True, slots=True)
class _Dim:
    centres: np.ndarray | None  # sorted unit coordinates of a discrete parameter's values
    categorical: bool
    requires: tuple[_Requirement, ...]

    @property
    def steps(self) -> bool:
        """Neighbours are the adjacent values (else a Gaussian step, or another category)."""
        return self.centres is not None and not self.categorical and len(self.centres) <= _STEP_BINS


class _Geometry:
    """A space's unit cube as arrays: which values each dimension takes and when it is active.

    ``features(U)`` maps any ``n x d`` points of the cube to the encoding of the configurations
    they decode to (``space.encode(space.decode(u))``), vectorised: discrete values snap to their
    bin centres and inactive dimensions become ``nan``.
    """

    def __init__(self, dims: Sequence[_Dim]) -> None:
        self.dims = tuple(dims)
        self._mids = [
            None if d.centres is None else 0.5 * (d.centres[1:] + d.centres[:-1]) for d in dims
        ]

    @classmethod
    def of(cls, space: Space | UnionSpace) -> _Geometry:
        if isinstance(space, Space):
            return cls(_space_dims(space, 0))
        k = len(space.spaces)
        branch = _Dim(np.arange(k, dtype=float) / k + 0.5 / k, True, ())
        dims = [branch]
        for b, sub in enumerate(space.spaces):
            when = _Requirement(0, np.array([b / k]), np.array([(b + 1) / k]))
            dims.extend(
                _Dim(d.centres, d.categorical, (when, *d.requires))
                for d in _space_dims(sub, len(dims))
            )
        return cls(dims)

    def snap(self, U: np.ndarray) -> np.ndarray:
        """``U`` (``n x d``) with every discrete coordinate moved to the centre of its bin."""
        out = np.array(U, dtype=float, copy=True)
        for j, (dim, mids) in enumerate(zip(self.dims, self._mids, strict=True)):
            if dim.centres is not None and mids is not None:
                out[:, j] = dim.centres[np.searchsorted(mids, out[:, j])]
        return out

    def features(self, U: np.ndarray) -> np.ndarray:
        """Encoding (``n x d``, ``nan`` where inactive) of the configurations ``U`` decodes to."""
        X = self.snap(U)
        active = np.ones(X.shape, dtype=bool)
        for j, dim in enumerate(self.dims):
            for req in dim.requires:
                p = X[:, req.parent, None]
                inside = ((p >= req.low) & (p <= req.high)).any(axis=1)
                active[:, j] &= active[:, req.parent] & inside
        X[~active] = np.nan
        return X

    def infer_conditions(self, X: np.ndarray) -> _Geometry:
        """This geometry plus the conditions that the observed encodings ``X`` (``n x d``) show.

        In a define-by-run study, a parameter the objective suggests only on some branches is
        missing (``nan``) from the other trials. If an earlier discrete parameter is present
        wherever it is, and its values in the trials without it never occur in the trials
        with it, the parameter is taken to be inactive for those values (and active for all
        others, untried ones too). Dimensions with declared conditions are left as they are.
        """
        missing = np.isnan(X)
        dims, changed = list(self.dims), False
        for j, dim in enumerate(self.dims):
            on = ~missing[:, j]
            if dim.requires or on.all() or not on.any():
                continue
            for p, (parent, mids) in enumerate(zip(self.dims[:j], self._mids, strict=False)):
                if parent.centres is None or mids is None or missing[on, p].any():
                    continue
                known = ~missing[:, p]
                bins = np.searchsorted(mids, X[known, p])
                off = np.unique(bins[~on[known]])
                if not len(off) or np.isin(bins[on[known]], off).any():
                    continue
                keep = np.setdiff1d(np.arange(len(parent.centres)), off)
                edges = np.concatenate([[0.0], mids, [1.0]])
                when = _Requirement(p, edges[keep], edges[keep + 1])
                dims[j], changed = _Dim(dim.centres, dim.categorical, (when,)), True
                break
        return _Geometry(dims) if changed else self

    def neighbours(self, U: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
        """``k`` neighbours of each point of ``U`` (``n x d``), each with one active coordinate
        changed: another category, the next value up or down of an ordinal parameter with few
        values, else a Gaussian step (of a scale drawn log-uniformly in ``[0.01, 0.3]``) that
        moves a discrete value by one bin at least."""
        movable = np.array([d.centres is None or len(d.centres) > 1 for d in self.dims])
        N = np.repeat(U, k, axis=0)
        pick = rng.random(N.shape)
        pick[~(np.repeat(~np.isnan(self.features(U)), k, axis=0) & movable)] = -1.0
        which = np.argmax(pick, axis=1)
        which[pick.max(axis=1) < 0] = -1  # nothing can move
        for j, (dim, mids) in enumerate(zip(self.dims, self._mids, strict=True)):
            rows = np.flatnonzero(which == j)
            if not len(rows):
                continue
            u = N[rows, j]
            if dim.centres is None or mids is None or not (dim.categorical or dim.steps):
                scale = np.exp(rng.uniform(math.log(0.01), math.log(0.3), len(rows)))
                v = np.abs(u + scale * rng.standard_normal(len(rows)))  # reflect at 0 and 1
                N[rows, j] = np.clip(np.where(v > 1, 2 - v, v), 0.0, 1.0)
                if dim.centres is None or mids is None:
                    continue
            m = len(dim.centres)
            i: np.ndarray = np.searchsorted(mids, u)
            if dim.categorical:
                i = (i + rng.integers(1, m, len(rows))) % m
            else:
                new: np.ndarray = np.searchsorted(mids, N[rows, j])
                step = np.where(rng.random(len(rows)) < 0.5, -1, 1)
                i = np.where(new != i, new, i + step)
                i = np.where(i < 0, 1, np.where(i >= m, m - 2, i))
            N[rows, j] = dim.centres[i]
        return self.snap(N)


def _centres(dist: Distribution) -> np.ndarray | None:
    """Sorted unit coordinates of the values of a discrete domain of at most ``_MAX_BINS``
    values; ``None`` for a continuous domain (or a larger one, searched as continuous)."""
    values: Sequence[Any] | range | None = None
    if isinstance(dist, (Int, Float)):
        size = dist.n_values()  # None if continuous
        values = dist.grid() if size is not None and size <= _MAX_BINS else None
    elif isinstance(dist, (Categorical, Fixed)):
        values = dist.grid()
    elif isinstance(dist, Scipy):  # a discrete one yields ints; its far tails are clipped
        lo, hi = dist.decode(0.0), dist.decode(1.0)
        if isinstance(lo, int) and isinstance(hi, int) and hi - lo < _MAX_BINS:
            values = range(lo, hi + 1)
    if not values:
        return None
    return np.unique([dist.encode(v) for v in values])


def _space_dims(space: Space, offset: int) -> list[_Dim]:
    index = {name: offset + i for i, name in enumerate(space.names)}
    dims = []
    for name, dist in space.distributions.items():
        centres = _centres(dist)
        requires = tuple(
            _Requirement(index[parent], *_intervals(space.distributions[parent], allowed))
            for parent, allowed in space.conditions.get(name, {}).items()
        )
        dims.append(_Dim(centres, isinstance(dist, Categorical), requires))
    return dims


def _intervals(dist: Distribution, allowed: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Unit-coordinate intervals that decode to each allowed value (found by bisection)."""
    lows, highs = [], []
    for value in allowed:
        c = dist.encode(value)

        def same(u: float, c: float = c) -> bool:
            return dist.encode(dist.decode(u)) == c

        bounds = []
        for end in (0.0, 1.0):
            if same(end):
                bounds.append(end)
                continue
            inside, outside = c, end
            for _ in range(45):  # to ~1e-13
                mid = 0.5 * (inside + outside)
                if same(mid):
                    inside = mid
                else:
                    outside = mid
            bounds.append(inside)
        lows.append(bounds[0])
        highs.append(bounds[1])
    return np.array(lows), np.array(highs)


@dataclass(frozen=True, slots=True)
class _Observed:
    """``History.observations``: finished trials' ``X`` (``n x d``), ``Y`` (``n x m``, to
    minimise, pruned trials imputed), constraint values ``C`` (``n x q``, ``nan`` where a trial
    has fewer or none) and which trials are feasible."""

    X: np.ndarray
    Y: np.ndarray
    C: np.ndarray
    feasible: np.ndarray


class ForestSampler(BaseSampler):
    """Bayesian optimisation with a random-forest surrogate and expected improvement (SMAC).

    The first ``n_startup_trials`` trials take points of a scrambled Sobol' sequence. Then, for
    each new trial, a forest of regression trees (``tunesmith.models.forest``) is fitted to the
    completed (and pruned) trials and the next configuration maximises log expected improvement
    over the best feasible value: 1000 random candidates, and a local search (one-coordinate
    moves: Gaussian steps for continuous parameters, adjacent values for ordinal ones, other
    categories) from the 5 best trials and the 5 best candidates. One trial in ten is drawn at
    random instead (SMAC's random interleaving, a guard against a misled model). A configuration
    that was evaluated or is running is not proposed again while another candidate is left.

    Conditional parameters stay in the model: inactive ones are imputed with a value outside
    ``[0, 1]``, so trees split on whether a parameter is active. A define-by-run study is
    modelled on the space inferred from earlier trials, with the conditions the trials reveal (a
    parameter missing exactly when an earlier discrete one takes some values). Categoricals are
    split on as ordered bins.

    * Constraints (``FrozenTrial.constraints``, feasible when all values are ``<= 0``): one more
      forest per constraint gives the probability of feasibility; the acquisition is EI times
      that probability and, before any trial is feasible, the probability alone, which leads to
      the least-violating region first.
    * Pruned trials: one with a value (the last one it reported) is an observation, counted no
      better than the median completed trial (``max(value, median)`` of the objective to
      minimise; see ``History.observations``), so the forest expects nothing better where trials
      were pruned. It counts towards ``n_startup_trials`` and its configuration is not proposed
      again. Pruned trials without a value are skipped.
    * Several trials asked at once (``ask(space, n=k)``) or running in parallel: each pending
      configuration counts as observed with the worst value seen (a constant liar), so the
      proposals spread out.
    * Several objectives: each trial minimises a random augmented Chebyshev scalarisation of the
      objectives scaled to ``[0, 1]`` (ParEGO), weights drawn from ``(seed, number)``.

    Each trial's randomness (forest, candidates) comes from ``(seed, trial number)``, so a seeded
    study is reproducible. Needs scikit-learn: ``pip install 'tunesmith[sklearn]'``.

    Args:
        seed: Seed for reproducible runs; ``None`` draws one from the OS.
        n_startup_trials: Quasi-random trials before the model is used (at least 1).
        n_trees: Trees in the forest.
        log_y: Fit the forest to an order-preserving log transform of the objective (SMAC's
            choice for costs such as losses and run times, whose best values matter most).

    Raises:
        MissingExtraError: scikit-learn is not installed.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(sampler=ts.samplers.ForestSampler(seed=0, n_startup_trials=5))
        >>> space = {"x": ts.Float(-5, 5), "kind": ts.Categorical(["a", "b"])}
        >>> study.optimize(lambda t: (t.params["x"] - 1) ** 2 + (t.params["kind"] == "b"),
        ...                n_trials=20, space=space)
        >>> study.best_params["kind"], abs(study.best_params["x"] - 1) < 0.5
        ('a', True)
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_trees: int = 10,
        log_y: bool = True,
    ) -> None:
        owner = "ForestSampler"
        self.seed = check_seed(seed, owner=owner)
        self.n_startup_trials = check_int(
            n_startup_trials, "n_startup_trials", low=1, high=10**9, owner=owner
        )
        self.n_trees = check_int(n_trees, "n_trees", low=1, high=1000, owner=owner)
        self.log_y = check_bool(log_y, "log_y", owner=owner)
        require_sklearn()
        self._startup = QMCSampler(seed=self.seed)
        self._geometries: dict[Space | UnionSpace, _Geometry] = {}
        self._cache = ObservationCache()  # encodings of finished trials, between proposals

    def __repr__(self) -> str:
        return (
            f"ForestSampler(seed={self.seed}, n_startup_trials={self.n_startup_trials}, "
            f"n_trees={self.n_trees}, log_y={self.log_y})"
        )

    def propose(
        self, history: History, space: Space | UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        if space.n_dims == 0:
            return [{} for _ in numbers]
        X, Y, C, pending = history.observations(
            space, constraints=True, pruned=True, cache=self._cache
        )
        obs = _Observed(X, Y, C, feasible=np.asarray(~(C > 0).any(axis=1)))
        if len(obs.X) < self.n_startup_trials:
            return self._startup.propose(history, space, numbers)
        geometry = self._geometry(space).infer_conditions(obs.X)
        out = []
        lies = pending  # running trials' encodings, then this batch's proposals
        for number in numbers:
            rng = np.random.default_rng(trial_rng(self.seed, number).getrandbits(64))
            u = self._next(geometry, obs, lies, rng)
            out.append(space.decode(u))
            lies = np.vstack([lies, geometry.features(u[None, :])])
        return out

    def _geometry(self, space: Space | UnionSpace) -> _Geometry:
        geometry = self._geometries.get(space)
        if geometry is None:
            if len(self._geometries) >= 8:  # a define-by-run space grows: forget old ones
                self._geometries.clear()
            geometry = self._geometries[space] = _Geometry.of(space)
        return geometry

    def _next(
        self,
        geometry: _Geometry,
        obs: _Observed,
        pending: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """The unit-cube point (shape ``d``) to evaluate next."""
        d = obs.X.shape[1]
        if rng.random() < _RANDOM_PROBABILITY:  # SMAC's random interleaving
            pool = geometry.snap(rng.random((64, d)))
            return _unseen(geometry, pool, np.zeros(len(pool)), np.vstack([obs.X, pending]))
        y = _scalarise(obs.Y, rng)
        if self.log_y:
            y = log_scale(y)
        acquisition, score = self._acquisition(geometry, obs, y, pending, int(rng.integers(2**62)))

        # Local searches start from the best trials (by the score the acquisition improves on;
        # random coordinates where they are inactive) and from the best random candidates.
        starts = obs.X[np.argsort(score, kind="stable")[:_N_STARTS]]
        starts = np.where(np.isnan(starts), rng.random(starts.shape), starts)
        candidates = geometry.snap(rng.random((_N_RANDOM, d)))
        values = acquisition(candidates)
        top = np.argsort(-values, kind="stable")[:_N_STARTS]
        reached, reached_values = local_search(
            acquisition,
            np.vstack([starts, candidates[top]]),
            geometry.neighbours,
            rng,
            n_neighbours=_N_NEIGHBOURS,
            max_steps=_MAX_STEPS,
        )
        pool = np.vstack([reached, candidates])
        pool_values = np.concatenate([reached_values, values])
        return _unseen(geometry, pool, pool_values, np.vstack([obs.X, pending]))

    def _acquisition(
        self,
        geometry: _Geometry,
        obs: _Observed,
        y: np.ndarray,
        pending: np.ndarray,
        seed: int,
    ) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]:
        """The acquisition, a function of ``n x d`` unit-cube points to maximise, and a score
        per trial (lower is better) of what it seeks to improve on."""
        # scipy.special is imported on first use: ``import tunesmith`` stays fast.
        from ..models.acquisition import log_expected_improvement, log_probability_of_improvement

        X, C = obs.X, obs.C
        constrained = bool(np.isfinite(C).any())
        if constrained:
            # One forest per constraint; P(feasible) = prod_j P(c_j <= 0) (Gardner et al., 2014).
            forests = []
            for j, c in enumerate(C.T):
                known = np.isfinite(c)
                forest = RandomForestSurrogate(n_trees=self.n_trees, seed=seed + 1 + j)
                forests.append(forest.fit(X[known], c[known]))

            def log_feasible(F: np.ndarray) -> np.ndarray:
                out = np.zeros(len(F))
                for forest in forests:
                    mean, var = forest.predict(F)
                    out += log_probability_of_improvement(mean, np.sqrt(var), 0.0)[0]
                return out

        if not obs.feasible.any():  # then every trial has constraints: head for feasibility

            def feasibility(U: np.ndarray) -> np.ndarray:
                return log_feasible(geometry.features(U))

            # Least violating first: the largest constraint value, each scaled by its spread.
            scale = np.nanstd(C, axis=0)
            with np.errstate(all="ignore"):
                violation = np.nanmax(C / np.where(scale > 0, scale, 1.0), axis=1)
            return feasibility, violation

        best = float(y[obs.feasible].min())
        if len(pending):  # constant liar: running trials count as the worst value seen
            X = np.vstack([X, pending])
            y = np.concatenate([y, np.full(len(pending), y.max())])
        forest = RandomForestSurrogate(n_trees=self.n_trees, seed=seed).fit(X, y)

        def acquisition(U: np.ndarray) -> np.ndarray:
            F = geometry.features(U)
            mean, var = forest.predict(F)
            a = log_expected_improvement(mean, np.sqrt(var), best)[0]
            return a + log_feasible(F) if constrained else a

        return acquisition, np.where(obs.feasible, y[: len(obs.X)], np.inf)


def _unseen(
    geometry: _Geometry, pool: np.ndarray, values: np.ndarray, seen: np.ndarray
) -> np.ndarray:
    """The best point of ``pool`` whose configuration is not among ``seen`` (``m x d`` encodings,
    ``nan`` where inactive); the best point outright if every one was seen.

    A point repeats a seen configuration if it agrees with it wherever that one is active: in
    a define-by-run study, what the objective did not ask for does not change the trial.
    """
    order = np.argsort(-values, kind="stable")
    free = np.isnan(seen)
    for start in range(0, len(order), 64):
        chunk = order[start : start + 64]
        F = geometry.features(pool[chunk])
        same = ((F[:, None, :] == seen[None, :, :]) | free[None, :, :]).all(axis=2).any(axis=1)
        if not same.all():
            return np.asarray(pool[chunk[np.argmin(same)]])
    return np.asarray(pool[order[0]])


def _scalarise(Y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One objective: ``Y[:, 0]``, or ParEGO's augmented Chebyshev scalarisation of several."""
    if Y.shape[1] == 1:
        return np.array(Y[:, 0], dtype=float)
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    F = (Y - lo) / np.where(hi > lo, hi - lo, 1.0)
    w = rng.dirichlet(np.ones(Y.shape[1]))
    out: np.ndarray = (w * F).max(axis=1) + _RHO * (w * F).sum(axis=1)
    return out
