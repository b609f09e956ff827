"""Transforms of the objective values before a surrogate sees them: output warping.

Bayesian optimisation fits its model to targets that are often heavy-tailed (a loss that explodes
for bad configurations, a run time spanning decades). A monotone transform keeps their order,
which is all an acquisition function needs, while taming the tails that would otherwise dominate
the fit. ``warp_outputs`` offers a fitted Yeo-Johnson power transform (the GP sampler's default,
chosen on the benchmark) and a rank copula; ``standardisation`` gives the mean and scale a model
standardises its targets with.

Shapes: ``y`` is ``n`` (finite values); the warped targets are ``n``, in the same order.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

__all__ = ["Warping", "standardisation", "warp_outputs"]


def standardisation(y: np.ndarray) -> tuple[float, float]:
    """``(mean, std)`` that standardise ``y``; ``std`` stays positive for constant targets.

    Computed on ``y / max|y|``, so targets near the float maximum do not overflow.
    """
    y = np.asarray(y, dtype=float).ravel()
    if y.size == 0:
        return 0.0, 1.0
    scale = float(np.max(np.abs(y)))
    if scale == 0.0:
        return 0.0, 1.0
    u = y / scale  # never overflows, even for values near the float maximum
    mean, std = scale * float(u.mean()), scale * float(u.std())
    if not std > 1e-12 * max(scale, 1e-300):  # constant targets: keep the unit scale
        std = max(scale, 1.0) if scale > 0 else 1.0
    return mean, std


Warping = Literal["none", "power", "copula"]
_LAMBDAS = np.linspace(-3.0, 3.0, 61)


def _yeo_johnson(z: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """``k x n`` Yeo-Johnson transforms of ``z`` (``n``) for exponents ``lam`` (``k``):
    ``((1 + z)^lam - 1) / lam`` for ``z >= 0``, ``-((1 - z)^(2 - lam) - 1) / (2 - lam)`` below
    (``log(1 + z)`` and ``-log(1 - z)`` in the limits ``lam -> 0`` and ``lam -> 2``)."""
    lp = np.log1p(np.abs(z))[None, :]
    a = np.where(z >= 0, lam[:, None], 2.0 - lam[:, None])
    a = np.where(a == 0.0, 1e-12, a)
    out: np.ndarray = np.sign(z) * np.expm1(a * lp) / a
    return out


def _robust_scale(y: np.ndarray) -> np.ndarray:
    """``(y - median) / scale`` with the interquartile range as the scale (normal-consistent),
    so that a few outliers do not squash the other values together."""
    median = float(np.median(y))
    q1, q3 = np.percentile(y, [25.0, 75.0])
    scale = float(q3 - q1) / 1.349
    if not scale > 0 or not math.isfinite(scale):
        scale = standardisation(y)[1]
    with np.errstate(over="ignore"):
        z: np.ndarray = (y - median) / scale
    return z if np.isfinite(z).all() else (y - median) / standardisation(y)[1]


def _yeo_johnson_llf(z: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Profile log-likelihood of each exponent: ``-n/2 log var(psi) + (lam - 1) sum sign(z)
    log(1 + |z|)`` (Yeo & Johnson 2000)."""
    with np.errstate(over="ignore", invalid="ignore"):
        psi = _yeo_johnson(z, lam)
        var = psi.var(axis=1)
    jac = float(np.sum(np.sign(z) * np.log1p(np.abs(z))))
    llf: np.ndarray = -0.5 * z.size * np.log(var) + (lam - 1.0) * jac
    return np.where(np.isfinite(llf), llf, -np.inf)


def warp_outputs(y: np.ndarray, method: Warping = "power") -> np.ndarray:
    """Monotone transform of targets that tames heavy tails and outliers.

    Args:
        y: ``n`` targets (finite).
        method: ``"none"``; ``"power"``: centre on the median, scale by the interquartile range,
            then a Yeo-Johnson transform with its exponent fitted by maximum likelihood (Yeo &
            Johnson 2000), standardised; ``"copula"``: the normal
            quantiles of the ranks, ``Phi^-1((rank - 1/2) / n)`` (ties share their mean rank).

    Returns:
        ``n`` warped targets, in the same order (the transform is increasing).

    Example:
        >>> import numpy as np
        >>> from tunesmith.models.output_warping import warp_outputs
        >>> w = warp_outputs(np.array([1.0, 2.0, 3.0, 1e6]), "copula")
        >>> bool(np.all(np.diff(w) > 0)), round(float(w[3] - w[2]), 2)
        (True, 0.83)
    """
    y = np.asarray(y, dtype=float).ravel()
    if method == "none" or y.size < 3:
        return y
    if method == "copula":
        import scipy.stats

        ranks = scipy.stats.rankdata(y)
        return np.asarray(scipy.stats.norm.ppf((ranks - 0.5) / y.size))
    if method == "power":
        z = _robust_scale(y)
        if np.ptp(z) == 0:
            return z
        # Maximum-likelihood exponent on a grid, then on a finer grid around the best.
        lam = _LAMBDAS
        for step in (0.1, 0.01):
            llf = _yeo_johnson_llf(z, lam)
            best = float(lam[int(np.argmax(llf))])
            lam = best + step * np.linspace(-1.0, 1.0, 21)
        with np.errstate(over="ignore", invalid="ignore"):
            w = _yeo_johnson(z, np.array([best]))[0]
        if not np.isfinite(w).all() or np.ptp(w) == 0:
            return warp_outputs(y, "copula")
        mean, std = standardisation(w)
        out: np.ndarray = (w - mean) / std
        return out
    raise ValueError(f"Unknown warping {method!r}; expected one of 'none', 'power', 'copula'.")
