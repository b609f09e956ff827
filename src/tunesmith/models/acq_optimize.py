"""Maximise an acquisition function over the unit cube with continuous and discrete dimensions.

1. Screen many candidates in one vectorised call: scrambled Sobol' points plus perturbations of
   a few anchor points (e.g. the best observations).
2. Refine the best few with L-BFGS-B on the continuous dimensions, all starts in one problem
   (their values are summed: the gradient of the sum holds each start's gradient).
3. Discrete dimensions (integers, stepped floats, categoricals: a grid of allowed coordinates)
   stay on their grid: a neighbour search moves ordinal dimensions by 1, 2, 4, ... grid steps and
   categorical ones to every other category, or tries every combination of the categoricals when
   there are few. Continuous and discrete steps alternate while the discrete step finds better.

Shapes: ``fun`` takes ``m x d`` points and returns ``(m,)`` values to maximise and, when asked, an
``m x d`` gradient (only its continuous columns are read).

Example:
    >>> import numpy as np
    >>> from tunesmith.models.acq_optimize import optimize_acquisition
    >>> target = np.array([0.3, 0.7])
    >>> def fun(U, grad):
    ...     diff = U - target
    ...     return -(diff**2).sum(1), (-2 * diff if grad else None)
    >>> x, value = optimize_acquisition(fun, 2, grids=[None, 4], rng=np.random.default_rng(0))
    >>> np.round(x, 3).tolist()  # the second dimension snaps to a bin centre of 4 bins
    [0.3, 0.625]
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.optimize

from .._checks import is_int

__all__ = ["AcquisitionObjective", "optimize_acquisition"]

#: ``fun(U, grad) -> (values, gradient or None)`` for ``m x d`` points ``U``.
AcquisitionObjective = Callable[[np.ndarray, bool], tuple[np.ndarray, "np.ndarray | None"]]

_MAX_CATEGORIES = 32  # more categories than this: try a random subset of them per step


def _as_grids(grids: Sequence[Any] | None, d: int) -> list[np.ndarray | None]:
    if grids is None:
        return [None] * d
    if len(grids) != d:
        raise ValueError(f"`grids` must have one entry per dimension ({d}), but got {len(grids)}.")
    out: list[np.ndarray | None] = []
    for j, g in enumerate(grids):
        if g is None:
            out.append(None)
        elif is_int(g):
            if g < 1:
                raise ValueError(f"`grids[{j}]` must be >= 1 bins, but got {g}.")
            out.append((np.arange(int(g)) + 0.5) / int(g))
        else:
            arr = np.unique(np.asarray(g, dtype=float).ravel())
            if arr.size == 0 or not np.all((arr >= 0) & (arr <= 1)):
                raise ValueError(f"`grids[{j}]` must be coordinates in [0, 1], but got {g!r}.")
            out.append(arr)
    return out


def _indices(u: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Index of the grid coordinate nearest to each value of ``u``."""
    if grid.size == 1:
        return np.zeros(u.shape, dtype=int)
    mids = 0.5 * (grid[1:] + grid[:-1])
    return np.searchsorted(mids, u)


def _snap(U: np.ndarray, grids: Sequence[np.ndarray | None]) -> np.ndarray:
    for j, g in enumerate(grids):
        if g is not None:
            U[:, j] = g[_indices(U[:, j], g)]
    return U


def _sobol(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    with warnings.catch_warnings():  # balance warnings concern other sample sizes
        warnings.simplefilter("ignore")
        try:
            engine = qmc.Sobol(d, scramble=True, rng=rng)
        except TypeError:  # scipy < 1.15
            engine = qmc.Sobol(d, scramble=True, seed=rng)
        return np.asarray(engine.random(n))


def _candidates(
    d: int,
    *,
    grids: list[np.ndarray | None],
    cat: np.ndarray,
    rng: np.random.Generator,
    anchors: np.ndarray | None,
    n_candidates: int,
) -> np.ndarray:
    parts = [_sobol(d, n_candidates, rng)]
    if anchors is not None and len(anchors):
        n_local = max(n_candidates // 4, len(anchors))
        base = anchors[rng.integers(len(anchors), size=n_local)].copy()
        # Gaussian steps of a log-uniform scale in [0.005, 0.3]: fine and coarse moves alike.
        scale = np.exp(rng.uniform(np.log(0.005), np.log(0.3), size=(n_local, 1)))
        local = base + scale * rng.standard_normal((n_local, d))
        # Categorical dimensions: each changes to a random category with probability 1/d.
        local[:, cat] = base[:, cat]
        flip = (rng.random((n_local, d)) < 1.0 / d) & cat
        local = np.where(flip, rng.random((n_local, d)), local)
        parts.append(np.clip(local, 0.0, 1.0))
    return _snap(np.vstack(parts), grids)


def _lbfgs(
    fun: AcquisitionObjective,
    X: np.ndarray,
    values: np.ndarray,
    cont: np.ndarray,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Improve each row of ``X`` along its continuous columns; keep each row's better point."""
    k, nc = X.shape[0], int(cont.sum())
    base = X.copy()

    def negative_sum(flat: np.ndarray) -> tuple[float, np.ndarray]:
        base[:, cont] = flat.reshape(k, nc)
        v, g = fun(base, True)
        assert g is not None
        return -float(np.sum(v)), -g[:, cont].ravel()

    res = scipy.optimize.minimize(
        negative_sum,
        X[:, cont].ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * (k * nc),
        options={"maxiter": max_iter, "ftol": 1e-7},
    )
    moved = X.copy()
    moved[:, cont] = np.clip(res.x.reshape(k, nc), 0.0, 1.0)
    new_values, _ = fun(moved, False)
    better = new_values > values
    return np.where(better[:, None], moved, X), np.where(better, new_values, values)


def _neighbours(
    X: np.ndarray,
    grids: list[np.ndarray | None],
    cat: np.ndarray,
    rng: np.random.Generator,
    combos: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points one discrete move away from each row of ``X``, and the row each came from."""
    rows, owners = [], []
    for j, g in enumerate(grids):
        if g is None or g.size < 2:
            continue
        idx = _indices(X[:, j], g)
        if cat[j]:
            if combos is not None:
                continue  # enumerated below
            if g.size <= _MAX_CATEGORIES:
                steps = np.arange(1, g.size)
            else:
                steps = rng.choice(np.arange(1, g.size), _MAX_CATEGORIES, replace=False)
            new = (idx[:, None] + steps[None, :]) % g.size
        else:
            jumps = 2 ** np.arange(int(np.ceil(np.log2(g.size))))
            new = idx[:, None] + np.concatenate([jumps, -jumps])[None, :]
        valid = (new >= 0) & (new < g.size)
        owner = np.broadcast_to(np.arange(len(X))[:, None], new.shape)[valid]
        pts = X[owner].copy()
        pts[:, j] = g[new[valid]]
        rows.append(pts)
        owners.append(owner)
    if combos is not None:
        cat_dims = np.flatnonzero(cat)
        pts = np.repeat(X, len(combos), axis=0)
        pts[:, cat_dims] = np.tile(combos, (len(X), 1))
        rows.append(pts)
        owners.append(np.repeat(np.arange(len(X)), len(combos)))
    if not rows:
        return np.empty((0, X.shape[1])), np.empty(0, dtype=int)
    return np.vstack(rows), np.concatenate(owners)


def _discrete_step(
    fun: AcquisitionObjective,
    *,
    X: np.ndarray,
    values: np.ndarray,
    grids: list[np.ndarray | None],
    cat: np.ndarray,
    rng: np.random.Generator,
    combos: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move each row to its best neighbour if that is better; also return which rows moved."""
    pts, owners = _neighbours(X, grids, cat, rng, combos)
    moved = np.zeros(len(X), dtype=bool)
    if not len(pts):
        return X, values, moved
    v, _ = fun(pts, False)
    X, values = X.copy(), values.copy()
    order = np.lexsort((v, owners))  # by owner, then by value: the last of each owner is best
    last = np.r_[owners[order][1:] != owners[order][:-1], True]
    for i in order[last]:
        o = owners[i]
        if v[i] > values[o] + 1e-12 * (1.0 + abs(values[o])):
            X[o], values[o], moved[o] = pts[i], v[i], True
    return X, values, moved


def optimize_acquisition(
    fun: AcquisitionObjective,
    n_dims: int,
    *,
    grids: Sequence[Any] | None = None,
    categorical: Sequence[bool] | np.ndarray | None = None,
    rng: np.random.Generator,
    anchors: np.ndarray | None = None,
    n_candidates: int = 1024,
    n_starts: int = 4,
    max_iter: int = 30,
    max_rounds: int = 20,
    max_alternations: int = 3,
    max_combinations: int = 64,
) -> tuple[np.ndarray, float]:
    """Maximise ``fun`` over ``[0, 1]^d`` with discrete dimensions kept on their grids.

    Args:
        fun: ``fun(U, grad) -> (values, gradient)`` for ``m x d`` points; the gradient
            (``m x d``, or ``None`` when ``grad`` is false) is read on continuous columns only.
        n_dims: ``d``.
        grids: Per dimension: ``None`` (continuous), a number of equal bins ``k`` (coordinates
            ``(i + 1/2) / k``) or the sorted allowed coordinates.
        categorical: ``d`` flags: discrete dimensions whose order means nothing.
        rng: Source of the Sobol' scrambling and of the perturbations.
        anchors: ``a x d`` points (e.g. the best observations) to search around.
        n_candidates: Sobol' points screened (a quarter as many perturbed anchors join them).
        n_starts: Best candidates refined by L-BFGS-B and the neighbour search.
        max_iter: L-BFGS-B iterations per refinement.
        max_rounds: Rounds of neighbour search per alternation.
        max_alternations: Alternations of continuous and discrete steps.
        max_combinations: Try every combination of the categorical dimensions when there are at
            most this many; else change one categorical at a time.

    Returns:
        ``(x, value)``: the best point found, shape ``(d,)``, and ``fun`` there.
    """
    d = n_dims
    grids_ = _as_grids(grids, d)
    cat = np.zeros(d, dtype=bool) if categorical is None else np.asarray(categorical, dtype=bool)
    cat = cat & np.array([g is not None for g in grids_], dtype=bool)
    cont = np.array([g is None for g in grids_], dtype=bool)
    if anchors is not None:
        anchors = np.clip(np.nan_to_num(np.asarray(anchors, dtype=float), nan=0.5), 0.0, 1.0)
    U = _candidates(d, grids=grids_, cat=cat, rng=rng, anchors=anchors, n_candidates=n_candidates)
    values, _ = fun(U, False)
    values = np.where(np.isfinite(values), values, -np.inf)
    order = np.argsort(-values, kind="stable")
    _, first = np.unique(U[order], axis=0, return_index=True)
    top = order[np.sort(first)[:n_starts]]
    X, vals = U[top], values[top]

    sizes = [g.size for g, c in zip(grids_, cat, strict=True) if c and g is not None]
    combos = None
    if sizes and int(np.prod(sizes)) <= max_combinations:
        cat_grids = [g for g, c in zip(grids_, cat, strict=True) if c and g is not None]
        combos = np.array(list(itertools.product(*cat_grids)))
    todo = np.ones(len(X), dtype=bool)  # rows whose continuous part needs (re)optimising
    for _ in range(max_alternations):
        if cont.any() and todo.any():
            X[todo], vals[todo] = _lbfgs(fun, X[todo], vals[todo], cont, max_iter)
        if cont.all():
            break
        todo[:] = False
        for round_ in range(max_rounds):  # hill-climb on the grids to a local optimum
            X, vals, moved = _discrete_step(
                fun,
                X=X,
                values=vals,
                grids=grids_,
                cat=cat,
                rng=rng,
                combos=combos if round_ == 0 else None,
            )
            todo |= moved
            if not moved.any():
                break
        if not todo.any():
            break
    best = int(np.argmax(vals))
    return X[best].copy(), float(vals[best])
