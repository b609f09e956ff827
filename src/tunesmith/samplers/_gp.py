"""Bayesian optimisation with a Gaussian process: the adapter between studies and ``models``.

Per ``propose``: observations of the space (``nan`` where a parameter is inactive) -> a constant
in place of ``nan`` -> warped objective -> GP fit, warm-started from the previous fit of the same
space -> acquisition maximised over the unit cube with discrete parameters on their grids ->
``space.decode``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._checks import check_bool, check_choice, check_float, check_int, check_seed
from ..distributions import Categorical, Distribution
from ..models.acq_optimize import AcquisitionObjective, optimize_acquisition
from ..models.acquisition import (
    ACQUISITIONS,
    AcquisitionFunction,
    chain_to_x,
    get_acquisition,
    log_probability_of_improvement,
)
from ..models.gp import GaussianProcess, GPParams, fit_gp
from ..models.output_warping import Warping, standardisation, warp_outputs
from ..space import Space, UnionSpace
from ._base import BaseSampler, History, ObservationCache
from ._qmc import QMCSampler

__all__ = ["GPSampler"]

_INACTIVE = -0.5  # model coordinate of an inactive parameter: outside the cube, same for all
_MAX_GRID = 512  # discrete parameters with more values are searched as continuous ones
_MAX_FIT_POINTS = 200  # hyperparameters are fitted on a random subset of at most this many
_MAX_POSTERIOR_POINTS = 300  # the posterior conditions on at most this many (best half + random)
_REFIT_GROWTH = 0.1  # refit hyperparameters once the data grew by this fraction (and >= 1)
_N_ANCHORS = 5  # best observations around which the acquisition search looks closely
_XI = 0.01  # improvement margin of EI and PI, in standard deviations of the warped objective
_WARPINGS = ("power", "copula", "none")


@functools.cache
def _blas_controller() -> Any:
    try:
        return importlib.import_module("threadpoolctl").ThreadpoolController()
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None


def _one_blas_thread() -> contextlib.AbstractContextManager[Any]:
    """One BLAS thread while proposing: the matrices are small, so more threads only add
    overhead, and on a busy machine they slow everything down many times over."""
    controller = _blas_controller()
    if controller is None:  # pragma: no cover
        return contextlib.nullcontext()
    limit: contextlib.AbstractContextManager[Any] = controller.limit(limits=1, user_api="blas")
    return limit


@dataclass
class _Fit:
    """Hyperparameters of the last fit for one space, and how many observations it saw."""

    n_obs: int
    objective: GPParams
    constraints: list[GPParams | None] = field(default_factory=list)


class _Layout:
    """How a space maps to the model: grids, categorical flags, which dimensions are parents."""

    def __init__(self, space: Space | UnionSpace) -> None:
        self.space = space
        dists: list[Distribution] = []
        parents: list[int] = []
        subs: Sequence[Space] = (space,) if isinstance(space, Space) else space.spaces
        offset = 0
        if isinstance(space, UnionSpace):  # dimension 0 picks the sub-space
            dists.append(Categorical(list(range(len(space.spaces)))))
            parents.append(0)
            offset = 1
        for sub in subs:
            dists.extend(sub.distributions[n] for n in sub.names)
            parents.extend(offset + sub.names.index(p) for c in sub.conditions.values() for p in c)
            offset += sub.n_dims
        self.parents = np.array(sorted(set(parents)), dtype=int)
        self.d = len(dists)
        self.categorical = np.array([isinstance(dist, Categorical) for dist in dists])
        self.grids: list[np.ndarray | None] = []
        for dist in dists:
            g = dist.grid()
            ok = g is not None and len(g) <= _MAX_GRID
            self.grids.append(np.unique([dist.encode(v) for v in g]) if ok and g else None)

    def activity(self, U: np.ndarray) -> np.ndarray | None:
        """``m x d`` flags of the active parameters of each point; ``None`` when all are."""
        if not self.parents.size:
            return None
        unique, inverse = np.unique(U[:, self.parents], axis=0, return_inverse=True)
        rows = np.empty((len(unique), self.d), dtype=bool)
        probe = np.full(self.d, 0.5)
        for i, key in enumerate(unique):  # few distinct parent values: decode each once
            probe[self.parents] = key
            rows[i] = ~np.isnan(self.space.encode(self.space.decode(probe)))
        out: np.ndarray = rows[inverse.ravel()]
        return out


@dataclass(frozen=True)
class _Rule:
    """Dimension ``child`` was used exactly when dimension ``parent`` took a value in ``allowed``
    (among the values ``seen``; an unseen value leaves the child active)."""

    child: int
    parent: int
    allowed: np.ndarray
    seen: np.ndarray


def _infer_rules(X: np.ndarray, grids: Sequence[np.ndarray | None]) -> list[_Rule]:
    """Conditions of a define-by-run space, read off which parameters each trial used.

    A parameter missing from some trials depends on an always-present discrete parameter if
    that parameter's value decided, in every observation, whether it was used (the pattern
    ``if kernel == "poly": degree = trial.suggest_int(...)``).
    """
    missing = np.isnan(X)
    parents = [j for j, g in enumerate(grids) if g is not None and not missing[:, j].any()]
    rules = []
    for child in np.flatnonzero(missing.any(0) & ~missing.all(0)):
        used = ~missing[:, child]
        for parent in parents:
            values = X[:, parent]
            allowed = np.unique(values[used])
            if not np.isin(values[~used], allowed).any():
                rules.append(_Rule(int(child), parent, allowed, np.unique(values)))
                break
    return rules


class _Activity:
    """Puts the model's constant into the inactive dimensions of observed and candidate points."""

    def __init__(self, layout: _Layout, X: np.ndarray) -> None:
        self.layout = layout
        no_declared = not layout.parents.size
        self.rules = _infer_rules(X, layout.grids) if no_declared and len(X) else []

    @staticmethod
    def impute(X: np.ndarray) -> np.ndarray:
        """Observed points: ``nan`` marks exactly the inactive parameters."""
        return np.where(np.isnan(X), _INACTIVE, X)

    def candidates(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Points of the cube as the model sees them, and the mask of their inactive entries."""
        active = self.layout.activity(U)
        if self.rules:
            active = np.ones(U.shape, dtype=bool) if active is None else active
            for r in self.rules:
                v = U[:, r.parent]
                active[:, r.child] &= np.isin(v, r.allowed) | ~np.isin(v, r.seen)
        if active is None:
            return U, None
        return np.where(active, U, _INACTIVE), ~active


def _scalarise(Y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One objective: itself, or a random augmented Chebyshev scalarisation (ParEGO)."""
    if Y.shape[1] == 1 or not len(Y):
        first: np.ndarray = Y[:, 0].copy()
        return first
    lo, hi = np.nanmin(Y, axis=0), np.nanmax(Y, axis=0)
    scaled = (Y - lo) / np.where(hi > lo, hi - lo, 1.0)
    w = rng.dirichlet(np.ones(Y.shape[1]))
    weighted = scaled * w
    return np.asarray(weighted.max(axis=1) + 0.05 * weighted.sum(axis=1))


def _posterior_rows(score: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Rows the posterior conditions on when there are too many: the best half, then random."""
    n = len(score)
    if n <= _MAX_POSTERIOR_POINTS:
        return None
    order = np.argsort(score, kind="stable")
    half = _MAX_POSTERIOR_POINTS // 2
    rest = rng.choice(order[half:], _MAX_POSTERIOR_POINTS - half, replace=False)
    return np.sort(np.concatenate([order[:half], rest]))


def _fit_one(
    X: np.ndarray,
    *,
    y: np.ndarray,
    score: np.ndarray,
    categorical: np.ndarray,
    warm: GPParams | None,
    refit: bool,
    rng: np.random.Generator,
    input_warping: bool = False,
) -> GaussianProcess:
    """A GP on ``(X, y)``: hyperparameters refitted (on at most ``_MAX_FIT_POINTS`` random rows)
    or reused, conditioned on at most ``_MAX_POSTERIOR_POINTS`` rows (the lowest ``score``)."""
    n = len(y)
    y_mean, y_std = standardisation(y)
    fitted = None
    if refit or warm is None:
        rows = rng.choice(n, _MAX_FIT_POINTS, replace=False) if n > _MAX_FIT_POINTS else None
        Xf, yf = (X, y) if rows is None else (X[rows], y[rows])
        fitted = fit_gp(
            Xf, yf, categorical=categorical, warm_start=warm, rng=rng, input_warping=input_warping
        )
        if rows is None:
            return fitted
        params = fitted.params
    else:
        params = warm
    rows = _posterior_rows(score, rng)
    if rows is not None:
        X, y = X[rows], y[rows]
    return GaussianProcess(X, y, params, categorical=categorical, y_mean=y_mean, y_std=y_std)


def _believe(
    gp: GaussianProcess,
    constraint_gps: list[GaussianProcess],
    X_new: np.ndarray,
    incumbent: float | None,
) -> tuple[GaussianProcess, list[GaussianProcess], float | None]:
    """Kriging believer: every model observes its own posterior mean at ``X_new``.

    The believed values join the incumbent too (where the constraints are believed satisfied),
    or a point believed better than the best would keep its expected improvement.
    """
    out, means = [], []
    for model in (gp, *constraint_gps):
        mean = model.posterior(X_new)[0]
        out.append(model.condition_on(X_new, mean))
        means.append(mean)
    if incumbent is not None:
        feasible = np.all([m <= 0 for m in means[1:]], axis=0) if constraint_gps else True
        incumbent = float(np.min(np.where(feasible, means[0], incumbent), initial=incumbent))
    return out[0], out[1:], incumbent


def _evaluate(
    gp: GaussianProcess,
    Xq: np.ndarray,
    grad: bool,
    acquisition: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray | None]:
    if not grad:
        mean, var = gp.posterior(Xq)
        return acquisition(mean, np.sqrt(var))[0], None
    mean, var, dmean, dvar = gp.posterior_with_grad(Xq)
    std = np.sqrt(var)
    value, dv_dmean, dv_dstd = acquisition(mean, std)
    return value, chain_to_x(dv_dmean, dv_dstd, std, dmean, dvar)


def _objective(
    acquisition: AcquisitionFunction,
    *,
    name: str,
    gp: GaussianProcess,
    constraint_gps: list[GaussianProcess],
    activity: _Activity,
    best_f: float | None,
) -> AcquisitionObjective:
    """The function of candidate points that ``optimize_acquisition`` maximises."""
    log_domain = name in ("logei", "logpi", "lcb")

    def log_feasible(m: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return log_probability_of_improvement(m, s, 0.0)  # log P(c <= 0)

    def fun(U: np.ndarray, grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        Xq, inactive = activity.candidates(U)
        value = np.zeros(len(U))
        dvalue = np.zeros_like(U) if grad else None
        if best_f is not None:
            value, dvalue = _evaluate(gp, Xq, grad, lambda m, s: acquisition(m, s, best_f))
            if name == "lcb":  # in standardised units, comparable with log probabilities
                value = value / gp.y_std
                dvalue = None if dvalue is None else dvalue / gp.y_std
        for cgp in constraint_gps:
            lp, dlp = _evaluate(cgp, Xq, grad, log_feasible)
            if best_f is None or log_domain:
                value = value + lp
                dvalue = None if dvalue is None or dlp is None else dvalue + dlp
            else:  # EI or PI times the probability: d(v p) = p (dv + v dlog p)
                p = np.exp(lp)
                if dvalue is not None and dlp is not None:
                    dvalue = p[:, None] * (dvalue + value[:, None] * dlp)
                value = value * p
        if dvalue is not None and inactive is not None:
            dvalue[inactive] = 0.0  # an inactive parameter does not move the model
        return value, dvalue

    return fun


class GPSampler(BaseSampler):
    """Bayesian optimisation with a Gaussian-process surrogate.

    A GP with a Matérn-5/2 ARD kernel (Hamming distance on categoricals) models the objective
    after a monotone warping that tames outliers; its hyperparameters are fitted by MAP and
    warm-started from the previous fit. The acquisition is maximised over the unit cube with
    discrete parameters kept on their grids.

    - The first ``n_startup_trials`` configurations are quasi-random (scrambled Sobol').
    - EI and PI count only improvements of at least 0.01 standard deviations of the (warped)
      objective, so the search moves on rather than polish the incumbent by negligible amounts.
    - Conditional parameters: an inactive parameter takes one constant outside the cube in every
      trial, so it is no noise for the model; the conditions of the space tell which parameters
      of a candidate are active. In define-by-run studies they are read off the trials (a
      parameter used exactly when a discrete parent took some values).
    - Constraints (``FrozenTrial.constraints``, feasible when all ``<= 0``): one GP per
      constraint; EI and PI are multiplied by the probability of feasibility, log-EI and log-PI
      add its log (so does LCB, as a barrier). Until a trial is feasible, that probability alone
      is maximised.
    - Pruned trials: one with a value (the last one it reported) is an observation, counted no
      better than the median COMPLETE trial (``max(value, median)`` of the objective to
      minimise; see ``History.observations``). The GP then expects no improvement where trials
      were pruned, and is sure of it, so it searches elsewhere. Pruned trials without a value
      are skipped. Pruned observations count towards ``n_startup_trials``.
    - Several objectives: each ``propose`` draws random weights ``w`` and minimises the augmented
      Chebyshev scalarisation ``max_i w_i f_i + 0.05 sum_i w_i f_i`` of the objectives scaled to
      ``[0, 1]`` (ParEGO, Knowles 2006).
    - Parallel suggestions: RUNNING trials and the earlier points of a batch join the GP as
      observations of its own mean (kriging believer), which repels new points from them.
    - Cost stays bounded: hyperparameters are refitted as the data grow by 10%, on at most
      200 random observations; the posterior uses at most 300 (the best half and random ones).

    Args:
        seed: Seed for reproducible runs; ``None`` draws one from the OS.
        acquisition: ``"logei"`` (default), ``"ei"``, ``"pi"``, ``"logpi"`` or ``"lcb"``.
        n_startup_trials: Quasi-random trials before the model is used, ``>= 1``.
        kappa: Exploration weight of ``"lcb"`` (``mean - kappa * std``), ``>= 0``.
        warping: Transform of the objective values before the GP: ``"power"`` (Yeo-Johnson),
            ``"copula"`` (normal scores of the ranks) or ``"none"``.
        input_warping: Warp each non-categorical parameter by a Kumaraswamy CDF
            ``1 - (1 - u^a)^b`` fitted with the kernel (Snoek et al. 2014), for objectives
            whose smoothness changes across the range. Off by default: on our benchmark
            (``bench/gp_warping.py``; 20 seeds per synthetic problem, 10 per ML problem) the mean
            normalised score went from 69.9 to 72.4 (+2.5 +- 2.1, not significant): 98.0 to
            96.3 on the 2-3-dim functions, 80.8 to 83.6 in 4-8 dims, 44.5 to 49.1 on ML
            tuning; each refit costs 2-3x as much (CPU per trial: median +20%, mean +45%).

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(sampler=ts.samplers.GPSampler(seed=0))
        >>> space = {"x": ts.Float(-5, 5), "n": ts.Int(0, 4)}
        >>> study.optimize(lambda t: (t.params["x"] - 1) ** 2 + t.params["n"], n_trials=20,
        ...                space=space)
        >>> study.best_params["n"], abs(study.best_params["x"] - 1) < 0.1
        (0, True)
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        acquisition: str = "logei",
        n_startup_trials: int = 10,
        kappa: float = 2.0,
        warping: Warping = "power",
        input_warping: bool = False,
    ) -> None:
        owner = "GPSampler"
        self.n_startup_trials = check_int(n_startup_trials, "n_startup_trials", low=1, owner=owner)
        self.acquisition = check_choice(acquisition, "acquisition", ACQUISITIONS, owner=owner)
        self.kappa = check_float(
            kappa,
            "kappa",
            low=0.0,
            high=math.inf,
            high_open=True,
            owner=owner,
            rule="a number in [0, inf)",
        )
        self._acquisition = get_acquisition(self.acquisition, kappa=self.kappa)
        self.warping: Warping = check_choice(warping, "warping", _WARPINGS, owner=owner)  # type: ignore[assignment]
        self.input_warping = check_bool(input_warping, "input_warping", owner=owner)
        self.seed = check_seed(seed, owner=owner)
        self._startup = QMCSampler(seed=self.seed)
        self._fits: dict[Space | UnionSpace, _Fit] = {}
        self._layouts: dict[Space | UnionSpace, _Layout] = {}
        self._cache = ObservationCache()  # encodings of finished trials, between proposals

    def __repr__(self) -> str:
        return (
            f"GPSampler(seed={self.seed}, acquisition={self.acquisition!r}, "
            f"n_startup_trials={self.n_startup_trials}, kappa={self.kappa}, "
            f"warping={self.warping!r}, input_warping={self.input_warping})"
        )

    def _layout(self, space: Space | UnionSpace) -> _Layout:
        layout = self._layouts.get(space)
        if layout is None:
            if len(self._layouts) >= 8:
                self._layouts.clear()
            layout = self._layouts[space] = _Layout(space)
        return layout

    def propose(
        self, history: History, space: Space | UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        if space.n_dims == 0:
            return [{} for _ in numbers]
        with _one_blas_thread():
            return self._propose(history, space, numbers)

    def _propose(
        self, history: History, space: Space | UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        X, Y, C_all, X_pending = history.observations(
            space, constraints=True, pruned=True, cache=self._cache
        )
        rng = np.random.default_rng([self.seed, numbers[0]])
        y = _scalarise(Y, rng)
        ok = np.isfinite(y)
        X, y, C = X[ok], y[ok], C_all[ok] if C_all.shape[1] else None
        if len(y) < self.n_startup_trials:
            return self._startup.propose(history, space, numbers)

        layout = self._layout(space)
        activity = _Activity(layout, X)
        Xm = activity.impute(X)
        feasible = np.ones(len(y), dtype=bool) if C is None else ~np.any(C > 0, axis=1)
        warped = warp_outputs(y, self.warping)
        score = np.where(feasible, warped, np.inf)  # which rows matter most: feasible and good
        gp, constraint_gps = self._fit(
            space=space, layout=layout, X=Xm, y=warped, score=score, C=C, rng=rng
        )
        incumbent = float(np.min(warped[feasible])) if feasible.any() else None
        anchors = X[np.argsort(score, kind="stable")[:_N_ANCHORS]]

        if len(X_pending):  # RUNNING trials: the model believes its own mean there
            gp, constraint_gps, incumbent = _believe(
                gp, constraint_gps, activity.impute(X_pending), incumbent
            )
        out = []
        for i, number in enumerate(numbers):
            fun = _objective(
                self._acquisition,
                name=self.acquisition,
                gp=gp,
                constraint_gps=constraint_gps,
                activity=activity,
                # Improvements must beat the incumbent by a margin (in units of the warped
                # objective's spread), or EI keeps polishing it by negligible amounts.
                best_f=None if incumbent is None else incumbent - _XI * gp.y_std,
            )
            u, _ = optimize_acquisition(
                fun,
                layout.d,
                grids=layout.grids,
                categorical=layout.categorical,
                rng=rng if i == 0 else np.random.default_rng([self.seed, number]),
                anchors=anchors,
                n_candidates=1024 if len(y) <= _MAX_FIT_POINTS else 512,
            )
            out.append(space.decode(u))
            if i + 1 < len(numbers):
                Xu = activity.candidates(u[None])[0]
                gp, constraint_gps, incumbent = _believe(gp, constraint_gps, Xu, incumbent)
        return out

    def _fit(
        self,
        *,
        space: Space | UnionSpace,
        layout: _Layout,
        X: np.ndarray,
        y: np.ndarray,
        score: np.ndarray,
        C: np.ndarray | None,
        rng: np.random.Generator,
    ) -> tuple[GaussianProcess, list[GaussianProcess]]:
        """GPs of the objective and of each constraint, refitted when the data grew enough."""
        n, n_cons = len(y), 0 if C is None else C.shape[1]
        last = self._fits.get(space)
        refit = (
            last is None
            or len(last.constraints) != n_cons
            or not last.n_obs <= n < last.n_obs + max(1.0, _REFIT_GROWTH * last.n_obs)
        )
        cat = layout.categorical
        warm = None if last is None else last.objective
        gp = _fit_one(
            X,
            y=y,
            score=score,
            categorical=cat,
            warm=warm,
            refit=refit,
            rng=rng,
            input_warping=self.input_warping,
        )
        constraint_gps: list[GaussianProcess] = []
        params: list[GPParams | None] = []
        for j in range(n_cons):
            assert C is not None
            rows = np.flatnonzero(np.isfinite(C[:, j]))
            cwarm = last.constraints[j] if last and j < len(last.constraints) else None
            if not rows.size:
                params.append(None)
                continue
            c = C[rows, j]
            cgp = _fit_one(
                X[rows],
                y=c,
                score=score[rows],
                categorical=cat,
                warm=cwarm,
                refit=refit or cwarm is None,
                rng=rng,
                input_warping=self.input_warping,
            )
            constraint_gps.append(cgp)
            params.append(cgp.params)
        if refit:
            self._fits.pop(space, None)
            self._fits[space] = _Fit(n, gp.params, params)
            while len(self._fits) > 8:
                self._fits.pop(next(iter(self._fits)))
        return gp, constraint_gps
