"""Gaussian-process regression for Bayesian optimisation.

A GP with a constant mean, a Matérn-5/2 kernel with one lengthscale per dimension (ARD) and a
small, learnt observation noise. Categorical dimensions use a Hamming distance (0 when two points
share the value, 1 otherwise) in place of ``|x - x'|``. Hyperparameters are fitted by maximum a
posteriori with analytic gradients and L-BFGS-B, warm-started from a previous fit.

Optionally (``fit_gp(..., input_warping=True)``) every non-categorical dimension is first warped
by a Kumaraswamy CDF ``w(u) = 1 - (1 - u^a)^b`` whose ``log a, log b`` are fitted jointly with the
kernel hyperparameters (Snoek, Swersky, Zemel & Adams, "Input warping for Bayesian optimization of
non-stationary functions", ICML 2014); the kernel is stationary in the warped coordinates.

Shapes: training inputs ``X`` are ``n x d`` (unit cube, no ``nan``: impute inactive dimensions
first), targets ``y`` are ``n``, query points ``Xq`` are ``m x d``. Targets are standardised
inside the model; posteriors come back in the units of ``y``.

Example:
    >>> import numpy as np
    >>> from tunesmith.models.gp import fit_gp
    >>> X = np.linspace(0, 1, 8)[:, None]
    >>> gp = fit_gp(X, np.sin(6 * X[:, 0]), rng=np.random.default_rng(0))
    >>> mean, var = gp.posterior(np.array([[0.3]]))
    >>> bool(abs(mean[0] - np.sin(1.8)) < 0.05), bool(var[0] < 0.01)
    (True, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.optimize
from scipy.linalg import lapack

from .output_warping import standardisation

__all__ = [
    "GPParams",
    "GaussianProcess",
    "fit_gp",
    "log_posterior",
    "warp_inputs",
]

_SQRT5 = math.sqrt(5.0)
_LOG_2PI = math.log(2.0 * math.pi)

# Priors on the hyperparameters of the standardised problem (inputs in the unit cube, targets with
# mean 0 and variance 1), all Gaussian in theta = (log lengthscales, log signal variance,
# log noise variance, constant mean):
#   log l_j ~ N(-1 + log(d) / 2, 3): lengthscales that grow like sqrt(d), as in the prior of
#       Hvarfner, Hellsten & Nardi, "Vanilla Bayesian optimization performs great in high
#       dimensions" (ICML 2024), but centred lower than their sqrt(2) + log(d) / 2 (median 0.9
#       in 6 dims, not 10): on our benchmark (bench/gp_speed.py --quality) the smoother prior
#       settled in local optima (Hartmann-6, Styblinski-Tang, Michalewicz) far more often;
#   log s^2 ~ N(0, 1): the signal variance near the variance of the standardised targets;
#   log noise ~ N(-8, 2^2): most objectives are (nearly) deterministic, but the noise stays > 0;
#   mean ~ N(0, 1).
_LS_LOC = -1.0
_LS_SCALE = math.sqrt(3.0)
_SIGNAL_SCALE = 1.0
_NOISE_LOC = -8.0
_NOISE_SCALE = 2.0
_MEAN_SCALE = 1.0
_MIN_NOISE = 1e-6
_BOUNDS_LOG_LS = (math.log(5e-3), math.log(2e2))
_BOUNDS_LOG_SIGNAL = (math.log(1e-2), math.log(1e2))
_BOUNDS_LOG_NOISE = (math.log(_MIN_NOISE), math.log(2.0))
_BOUNDS_MEAN = (-10.0, 10.0)
# Input warping (Kumaraswamy CDF per non-categorical dimension): log a, log b ~ N(0, 0.5^2),
# centred on the identity a = b = 1 so that the data must ask for warping. Tighter than the
# N(0, 0.75) of BoTorch's Warp (Balandat et al. 2020): with 3 d + 3 hyperparameters fitted by MAP
# on 10-100 points, that prior warped too eagerly on our benchmark (bench/gp_warping.py: mean
# normalised score 69.6 against 72.4 with 0.5^2). Inputs are squeezed into [eps, 1 - eps] first
# (as BoTorch does), so that w and its derivatives stay finite at u = 0 and u = 1.
_WARP_SCALE = 0.5
_BOUNDS_LOG_WARP = (math.log(0.1), math.log(10.0))
_WARP_EPS = 1e-7


@dataclass(frozen=True)
class GPParams:
    """Hyperparameters of a GP, in standardised-target units.

    Attributes:
        lengthscales: ``d`` lengthscales, in unit-cube units (Hamming units for categoricals);
            with input warping, in units of the warped coordinates.
        signal_var: Kernel variance ``s^2``.
        noise_var: Variance of the observation noise.
        mean: The constant prior mean.
        warp_a: ``d`` Kumaraswamy exponents ``a`` of the input warping, or ``None`` (no
            warping). Entries of categorical dimensions are ignored (kept at 1 by ``fit_gp``).
        warp_b: ``d`` Kumaraswamy exponents ``b``; given exactly when ``warp_a`` is.
    """

    lengthscales: np.ndarray
    signal_var: float
    noise_var: float
    mean: float
    warp_a: np.ndarray | None = None
    warp_b: np.ndarray | None = None

    def __post_init__(self) -> None:
        if (self.warp_a is None) != (self.warp_b is None):
            raise ValueError("`warp_a` and `warp_b` must both be given or both be None.")
        if self.warp_a is not None and self.warp_b is not None:
            d = len(self.lengthscales)
            if np.shape(self.warp_a) != (d,) or np.shape(self.warp_b) != (d,):
                raise ValueError(
                    f"`warp_a` and `warp_b` must hold one exponent per dimension ({d}), but got "
                    f"shapes {np.shape(self.warp_a)} and {np.shape(self.warp_b)}."
                )

    @property
    def n_dims(self) -> int:
        return len(self.lengthscales)

    @property
    def warped(self) -> bool:
        """Whether the inputs are warped."""
        return self.warp_a is not None

    def to_theta(self) -> np.ndarray:
        """``(d + 3,)`` vector ``(log l_1..l_d, log s^2, log noise, mean)``, followed with input
        warping by ``(log a_1..a_d, log b_1..b_d)`` (``(3 d + 3,)`` in all)."""
        parts = [
            np.log(self.lengthscales),
            [math.log(self.signal_var), math.log(self.noise_var), self.mean],
        ]
        if self.warp_a is not None and self.warp_b is not None:
            parts += [np.log(self.warp_a), np.log(self.warp_b)]
        return np.concatenate(parts)

    @classmethod
    def from_theta(cls, theta: np.ndarray, *, warped: bool = False) -> GPParams:
        """Inverse of ``to_theta``; ``warped`` tells whether ``theta`` holds warping exponents."""
        theta = np.asarray(theta, dtype=float)
        if not warped:
            d = len(theta) - 3
            warp_a = warp_b = None
        else:
            d, rest = divmod(len(theta) - 3, 3)
            if rest:
                raise ValueError(f"A warped theta has 3 d + 3 entries, but got {len(theta)}.")
            warp_a, warp_b = np.exp(theta[d + 3 : 2 * d + 3]), np.exp(theta[2 * d + 3 :])
        return cls(
            lengthscales=np.exp(theta[:d]),
            signal_var=float(np.exp(theta[d])),
            noise_var=float(np.exp(theta[d + 1])),
            mean=float(theta[d + 2]),
            warp_a=warp_a,
            warp_b=warp_b,
        )

    @classmethod
    def prior_mode(cls, n_dims: int, *, warped: bool = False) -> GPParams:
        """The hyperparameters at the mode of the prior (the identity warping if ``warped``)."""
        return cls.from_theta(_prior_loc(n_dims, warped), warped=warped)

    def with_warping(self, warped: bool) -> GPParams:
        """The same hyperparameters with (the identity, if there was none) or without warping."""
        if warped == self.warped:
            return self
        ones = np.ones(self.n_dims) if warped else None
        return GPParams(self.lengthscales, self.signal_var, self.noise_var, self.mean, ones, ones)


def _prior_loc(d: int, warped: bool = False) -> np.ndarray:
    ls = _LS_LOC + 0.5 * math.log(max(d, 1))
    return np.concatenate([np.full(d, ls), [0.0, _NOISE_LOC, 0.0], np.zeros(2 * d * warped)])


def _prior_scale(d: int, warped: bool = False) -> np.ndarray:
    return np.concatenate(
        [
            np.full(d, _LS_SCALE),
            [_SIGNAL_SCALE, _NOISE_SCALE, _MEAN_SCALE],
            np.full(2 * d * warped, _WARP_SCALE),
        ]
    )


def _bounds(d: int, warp: np.ndarray | None = None) -> np.ndarray:
    """L-BFGS-B bounds; with a warping mask, the exponents of unwarped dimensions are fixed at 0."""
    rows = [_BOUNDS_LOG_LS] * d + [_BOUNDS_LOG_SIGNAL, _BOUNDS_LOG_NOISE, _BOUNDS_MEAN]
    if warp is not None:
        rows += [_BOUNDS_LOG_WARP if w else (0.0, 0.0) for w in warp] * 2
    return np.array(rows, dtype=float)


def _categorical_mask(categorical: Sequence[bool] | np.ndarray | None, d: int) -> np.ndarray:
    if categorical is None:
        return np.zeros(d, dtype=bool)
    mask = np.asarray(categorical, dtype=bool).ravel()
    if mask.shape != (d,):
        raise ValueError(
            f"`categorical` must hold one flag per dimension ({d}), but got {mask.size} flags."
        )
    return mask


@dataclass(frozen=True)
class _Warped:
    """Kumaraswamy-warped inputs and their derivatives (all ``n x d``; 0 / 1 where unwarped)."""

    W: np.ndarray  # warped inputs
    dW_du: np.ndarray  # dw / du
    dW_dloga: np.ndarray  # dw / dlog a
    dW_dlogb: np.ndarray  # dw / dlog b


def _kumaraswamy(
    U: np.ndarray, a: np.ndarray, b: np.ndarray, mask: np.ndarray, grads: bool = True
) -> _Warped:
    """``w(u) = 1 - (1 - s^a)^b`` with ``s = eps + (1 - 2 eps) u`` on the dimensions of ``mask``.

    Entries outside ``[0, 1]`` (the constant an inactive parameter takes) and ``nan`` pass through
    unchanged, with derivative 1 in ``u`` and 0 in ``a``, ``b``. With ``p = s^a``, ``q = 1 - p``:
    ``dw/ds = a b p q^(b-1) / s``, ``dw/dlog a = a b p q^(b-1) log s``,
    ``dw/dlog b = -b q^b log q``.
    """
    W = np.array(U, dtype=float)
    n, d = W.shape
    dW_du = np.ones((n, d)) if grads else W
    dW_dloga = np.zeros((n, d)) if grads else W
    dW_dlogb = np.zeros((n, d)) if grads else W
    cols = np.flatnonzero(mask)
    if not cols.size or not n:
        return _Warped(W, dW_du, dW_dloga, dW_dlogb)
    V = W[:, cols]
    with np.errstate(invalid="ignore"):
        inside = (V >= 0.0) & (V <= 1.0)
    s = _WARP_EPS + (1.0 - 2.0 * _WARP_EPS) * np.where(inside, V, 0.5)
    ca, cb = a[cols], b[cols]
    log_s = np.log(s)
    p = np.exp(ca * log_s)
    q = -np.expm1(ca * log_s)  # 1 - s^a, accurate when s^a is near 1
    log_q = np.where(p < 0.5, np.log1p(-np.minimum(p, 0.5)), np.log(np.maximum(q, 1e-300)))
    q_b = np.exp(cb * log_q)
    W[:, cols] = np.where(inside, -np.expm1(cb * log_q), V)
    if grads:
        # a b p q^(b-1) = a b p q^b / q: q >= a eps (1 - eps)-ish > 0 inside the squeezed cube
        abpq = ca * cb * p * q_b / q
        dW_du[:, cols] = np.where(inside, abpq * (1.0 - 2.0 * _WARP_EPS) / s, 1.0)
        dW_dloga[:, cols] = np.where(inside, abpq * log_s, 0.0)
        dW_dlogb[:, cols] = np.where(inside, -cb * q_b * log_q, 0.0)
    return _Warped(W, dW_du, dW_dloga, dW_dlogb)


def warp_inputs(
    X: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    categorical: Sequence[bool] | np.ndarray | None = None,
) -> np.ndarray:
    """Kumaraswamy-CDF input warping ``w(u) = 1 - (1 - u^a)^b`` of every non-categorical column.

    ``u`` is first squeezed into ``[eps, 1 - eps]`` (``eps = 1e-7``), so ``w`` stays smooth at the
    ends of the cube; ``w`` is increasing and maps ``[0, 1]`` onto (nearly) ``[0, 1]``, and ``a = b
    = 1`` is (nearly) the identity. ``nan`` entries (inactive parameters) stay ``nan`` and entries
    outside ``[0, 1]`` (an imputed constant) pass through unchanged.

    Args:
        X: ``n x d`` points of the unit cube.
        a: ``d`` exponents ``a > 0``.
        b: ``d`` exponents ``b > 0``.
        categorical: ``d`` flags of the dimensions left alone.

    Returns:
        ``n x d`` warped points.

    Example:
        >>> import numpy as np
        >>> from tunesmith.models.gp import warp_inputs
        >>> u = np.array([[0.0], [0.25], [1.0], [np.nan]])
        >>> np.round(warp_inputs(u, np.array([2.0]), np.array([3.0]))[:, 0], 4).tolist()
        [0.0, 0.176, 1.0, nan]
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be n x d, but got shape {X.shape}.")
    d = X.shape[1]
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != (d,) or b.shape != (d,) or not (np.all(a > 0) and np.all(b > 0)):
        raise ValueError(f"`a` and `b` must hold {d} positive exponents, but got {a} and {b}.")
    return _kumaraswamy(X, a, b, ~_categorical_mask(categorical, d), grads=False).W


def _matern52(r2: np.ndarray, signal_var: float) -> tuple[np.ndarray, np.ndarray]:
    """Matérn-5/2 kernel ``k(r) = s^2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r)`` of ``r^2``.

    Returns ``k`` and ``dk / d(r^2) = -5/6 s^2 (1 + sqrt5 r) exp(-sqrt5 r)`` (finite at ``r = 0``).
    """
    r = np.sqrt(r2)
    e = signal_var * np.exp(-_SQRT5 * r)
    k = (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * e
    dk_dr2 = (-5.0 / 6.0) * (1.0 + _SQRT5 * r) * e
    return k, dk_dr2


def _sq_diffs(X: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """``d x n x n`` per-dimension squared differences (0/1 mismatches for categoricals)."""
    diff = X.T[:, :, None] - X.T[:, None, :]
    out: np.ndarray = diff * diff
    if cat.any():
        out[cat] = np.abs(diff[cat]) > 1e-9
    return out


def _cross_r2(A: np.ndarray, B: np.ndarray, inv_ls2: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """``m x n`` scaled squared distances between the rows of ``A`` (``m x d``) and ``B``."""
    cont = ~cat
    if cont.all():
        sa, sb = A * np.sqrt(inv_ls2), B * np.sqrt(inv_ls2)
    else:
        w = np.sqrt(inv_ls2[cont])
        sa, sb = A[:, cont] * w, B[:, cont] * w
    r2: np.ndarray = (sa * sa).sum(1)[:, None] + (sb * sb).sum(1)[None, :] - 2.0 * (sa @ sb.T)
    np.maximum(r2, 0.0, out=r2)
    for j in np.flatnonzero(cat):
        r2 += (np.abs(A[:, j, None] - B[None, :, j]) > 1e-9) * inv_ls2[j]
    return r2


def _cholesky(K: np.ndarray) -> np.ndarray | None:
    L: np.ndarray
    L, info = lapack.dpotrf(K, lower=1, clean=1)
    return None if info else L


def _inverse_from_cholesky(L: np.ndarray) -> np.ndarray:
    inv, info = lapack.dpotri(L, lower=1)
    if info:  # pragma: no cover - L comes from a successful dpotrf
        raise np.linalg.LinAlgError("dpotri failed")
    out: np.ndarray = np.tril(inv) + np.tril(inv, -1).T
    return out


class _LogPosterior:
    """Log posterior of theta (eq. 5.8 of Rasmussen & Williams 2006, plus the log prior).

    With ``warp``, theta ends with ``log a``, ``log b`` and the kernel sees the non-categorical
    inputs warped, ``w(X)``.
    """

    def __init__(self, X: np.ndarray, z: np.ndarray, cat: np.ndarray, warp: bool = False) -> None:
        self.n, self.d = X.shape
        self.X, self.cat, self.warp = X, cat, warp
        if not warp:
            self.D = _sq_diffs(X, cat).reshape(self.d, self.n * self.n)
        else:  # the warped dimensions change with theta: only the Hamming part is fixed
            self.D = _sq_diffs(X[:, cat], np.ones(int(cat.sum()), dtype=bool))
            self.D = self.D.reshape(-1, self.n * self.n)
        self.z = z
        self.loc = _prior_loc(self.d, warp)
        self.scale2 = _prior_scale(self.d, warp) ** 2

    def __call__(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        n, d = self.n, self.d
        inv_ls2 = np.exp(-2.0 * theta[:d])
        s2, noise, m = math.exp(theta[d]), math.exp(theta[d + 1]), theta[d + 2]
        if self.warp:
            return self._warped(theta, inv_ls2, s2, noise, m)
        k, dk_dr2 = _matern52((inv_ls2 @ self.D).reshape(n, n), s2)
        shared = self._shared_terms(theta, k, noise, m)
        if shared is None:  # numerically singular: a very poor point for the optimiser
            return -1e25, np.zeros_like(theta)
        value, grad, M = shared
        grad[:d] += (
            -(self.D @ (M * dk_dr2).ravel()) * inv_ls2
        )  # dK/dlog l_j = dk/dr^2 (-2 D_j/l_j^2)
        return value, grad

    def _shared_terms(
        self, theta: np.ndarray, k: np.ndarray, noise: float, m: float
    ) -> tuple[float, np.ndarray, np.ndarray] | None:
        """What the plain and the warped kernel share, given the kernel matrix ``k``: the log
        posterior, its gradient but for the length-scale (and warping) terms, and
        ``M = alpha alpha^T - K^-1``; ``None`` when ``K`` is numerically singular.

        d log p / d theta_i = 1/2 tr(M dK/dtheta_i)   (R&W eq. 5.9).
        """
        n, d = self.n, self.d
        K = k.copy()
        K.flat[:: n + 1] += noise
        L = _cholesky(K)
        if L is None:
            return None
        dev = theta - self.loc
        log_prior = -0.5 * float(np.sum(dev * dev / self.scale2))
        grad = -dev / self.scale2
        r = self.z - m
        alpha, _ = lapack.dpotrs(L, r, lower=1)
        log_lik = -0.5 * float(r @ alpha) - float(np.log(np.diag(L)).sum()) - 0.5 * n * _LOG_2PI
        M = np.outer(alpha, alpha) - _inverse_from_cholesky(L)
        grad[d] += 0.5 * float(np.sum(M * k))  # dK/dlog s^2 = k
        grad[d + 1] += 0.5 * noise * float(np.trace(M))  # dK/dlog noise = noise * I
        grad[d + 2] += float(alpha.sum())  # d/dm of -1/2 (z - m)^T K^-1 (z - m)
        return log_lik + log_prior, grad, M

    def _warped(
        self, theta: np.ndarray, inv_ls2: np.ndarray, s2: float, noise: float, m: float
    ) -> tuple[float, np.ndarray]:
        """The same with warped inputs ``w = w(x)``. The squared distances of the continuous
        dimensions come from one product ``|s_i|^2 + |s_i'|^2 - 2 s_i . s_i'`` of the scaled
        points ``s = w / l``, and so do the gradients: for symmetric ``G``,
        ``sum_ii' G_ii' (w_i - w_i')^2 = 2 sum_i w_i (w_i (G 1)_i - (G w)_i)``."""
        n, d = self.n, self.d
        cat, cont = self.cat, ~self.cat
        a, b = np.exp(theta[d + 3 : 2 * d + 3]), np.exp(theta[2 * d + 3 :])
        warped = _kumaraswamy(self.X, a, b, cont)
        Wc = warped.W[:, cont]
        S = Wc * np.sqrt(inv_ls2[cont])
        sq = (S * S).sum(axis=1)
        r2 = sq[:, None] + sq[None, :] - 2.0 * (S @ S.T)
        np.maximum(r2, 0.0, out=r2)
        r2.flat[:: n + 1] = 0.0
        if cat.any():
            r2 += (inv_ls2[cat] @ self.D).reshape(n, n)
        k, dk_dr2 = _matern52(r2, s2)
        shared = self._shared_terms(theta, k, noise, m)
        if shared is None:  # numerically singular: a very poor point for the optimiser
            return -1e25, np.zeros_like(theta)
        value, grad, M = shared
        G = M * dk_dr2  # symmetric
        # C_ij = w_ij (G 1)_i - (G w)_ij, so sum_ii' G_ii' (w_ij - w_i'j)^2 = 2 sum_i w_ij C_ij
        C = Wc * G.sum(axis=1)[:, None] - G @ Wc
        ls_grad = np.zeros(d)
        ls_grad[cont] = 2.0 * np.einsum("ij,ij->j", Wc, C)
        if cat.any():
            ls_grad[cat] = self.D @ G.ravel()
        grad[:d] += -ls_grad * inv_ls2  # dK/dlog l_j = dk/dr^2 * (-2 D_j / l_j^2)
        # A warping exponent t of dimension j moves w_ij by g_ij = dw(x_ij)/dt:
        # 1/2 sum_ii' M_ii' dK_ii'/dt = 1/2 sum_ii' G_ii' 2/l_j^2 (w_i - w_i') (g_i - g_i')
        #                             = 2/l_j^2 sum_i g_ij C_ij.
        Cs = C * (2.0 * inv_ls2[cont])
        idx = np.flatnonzero(cont)
        grad[d + 3 + idx] += np.einsum("ij,ij->j", Cs, warped.dW_dloga[:, cont])
        grad[2 * d + 3 + idx] += np.einsum("ij,ij->j", Cs, warped.dW_dlogb[:, cont])
        return value, grad


def log_posterior(
    theta: np.ndarray,
    X: np.ndarray,
    z: np.ndarray,
    *,
    categorical: Sequence[bool] | np.ndarray | None = None,
    input_warping: bool = False,
) -> tuple[float, np.ndarray]:
    """Log marginal likelihood plus log prior of the hyperparameters, and its gradient.

    Args:
        theta: ``(d + 3,)`` hyperparameters as in ``GPParams.to_theta``; ``(3 d + 3,)`` with
            input warping.
        X: ``n x d`` inputs.
        z: ``n`` standardised targets.
        categorical: ``d`` flags of the dimensions compared by Hamming distance.
        input_warping: Whether ``theta`` holds Kumaraswamy exponents that warp the
            non-categorical dimensions.

    Returns:
        ``(value, gradient)`` with the gradient of the shape of ``theta``.
    """
    X = np.asarray(X, dtype=float)
    cat = _categorical_mask(categorical, X.shape[1])
    theta = np.asarray(theta, dtype=float)
    expected = X.shape[1] * (3 if input_warping else 1) + 3
    if theta.shape != (expected,):
        raise ValueError(f"theta must have {expected} entries, but got shape {theta.shape}.")
    objective = _LogPosterior(X, np.asarray(z, dtype=float), cat, input_warping)
    return objective(theta)


class GaussianProcess:
    """A GP conditioned on data with fixed hyperparameters: the posterior over ``f``.

    Args:
        X: ``n x d`` training inputs.
        y: ``n`` training targets.
        params: Hyperparameters (standardised-target units); with ``warp_a`` and ``warp_b`` the
            non-categorical inputs are warped (``warp_inputs``) before the kernel sees them.
        categorical: ``d`` flags of the dimensions compared by Hamming distance.
        y_mean: Centre of the standardisation; the mean of ``y`` if ``None``.
        y_std: Scale of the standardisation; the standard deviation of ``y`` if ``None``.

    Attributes:
        X: The training inputs.
        y: The training targets, in the caller's units.
        params: The hyperparameters.
        categorical: The Hamming-distance flags.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        params: GPParams,
        *,
        categorical: Sequence[bool] | np.ndarray | None = None,
        y_mean: float | None = None,
        y_std: float | None = None,
    ) -> None:
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y, dtype=float).ravel()
        n, d = self.X.shape
        if params.n_dims != d:
            raise ValueError(f"params have {params.n_dims} lengthscales but X has {d} dimensions.")
        self.params = params
        self.categorical = _categorical_mask(categorical, d)
        if y_mean is None or y_std is None:
            y_mean, y_std = standardisation(self.y)
        self.y_mean, self.y_std = float(y_mean), float(y_std)
        self._inv_ls2 = params.lengthscales**-2.0
        self._W = self._warp(self.X, grads=False).W  # the inputs as the kernel sees them
        z = (self.y - self.y_mean) / self.y_std
        k, _ = _matern52(_cross_r2(self._W, self._W, self._inv_ls2, self.categorical), 1.0)
        k *= params.signal_var
        noise = params.noise_var
        for _ in range(8):  # add jitter until the Cholesky factorisation succeeds
            K = k.copy()
            K.flat[:: n + 1] += noise
            L = _cholesky(K) if n else np.zeros((0, 0))
            if L is not None:
                break
            noise *= 10.0
        else:  # pragma: no cover - 8 decades of jitter always suffice
            raise np.linalg.LinAlgError("the kernel matrix is not positive definite")
        self._alpha = lapack.dpotrs(L, z - params.mean, lower=1)[0] if n else np.zeros(0)
        self._K_inv = _inverse_from_cholesky(L) if n else np.zeros((0, 0))

    @property
    def n_dims(self) -> int:
        return int(self.X.shape[1])

    def _warp(self, X: np.ndarray, grads: bool) -> _Warped:
        a, b = self.params.warp_a, self.params.warp_b
        if a is None or b is None:
            return _Warped(X, X, X, X)  # no warping: only W is read
        return _kumaraswamy(X, a, b, ~self.categorical, grads=grads)

    def _cross(self, Xq: np.ndarray, grads: bool = False) -> tuple[np.ndarray, np.ndarray, _Warped]:
        Xq = np.asarray(Xq, dtype=float)
        if Xq.ndim != 2 or Xq.shape[1] != self.n_dims:
            raise ValueError(f"Xq must be m x {self.n_dims}, but got shape {Xq.shape}.")
        warped = self._warp(Xq, grads)
        r2 = _cross_r2(warped.W, self._W, self._inv_ls2, self.categorical)
        k, dk_dr2 = _matern52(r2, self.params.signal_var)
        return k, dk_dr2, warped

    def _moments(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # mean = m + k*^T K^-1 (z - m 1), var = s^2 - k*^T K^-1 k*    (R&W eqs. 2.25-2.26)
        v = k @ self._K_inv
        s2 = self.params.signal_var
        var = np.maximum(s2 - np.einsum("ij,ij->i", v, k), 1e-10 * s2)
        mean = self.params.mean + k @ self._alpha
        return mean, var, v

    def posterior(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function at ``Xq`` (``m x d``).

        Returns:
            ``(mean, var)``, each of shape ``(m,)``, in the units of ``y``.
        """
        k, _, _ = self._cross(Xq)
        mean, var, _ = self._moments(k)
        return self.y_mean + self.y_std * mean, self.y_std * (self.y_std * var)

    def posterior_with_grad(
        self, Xq: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and variance at ``Xq`` (``m x d``) and their gradients.

        Returns:
            ``(mean, var, dmean, dvar)``: ``(m,)``, ``(m,)``, ``m x d``, ``m x d``. Gradients along
            categorical dimensions are 0. With input warping, the gradients are with respect to
            the unwarped ``Xq`` (the chain rule through ``dw/du``).
        """
        Xq = np.asarray(Xq, dtype=float)
        k, dk_dr2, warped = self._cross(Xq, grads=True)
        mean, var, v = self._moments(k)
        cont = ~self.categorical
        # dk_i/dq_j = dk/dr^2 * 2 (q_j - x_ij) / l_j^2, so with A = dk/dr^2 * w for weights w:
        # sum_i w_i dk_i/dq_j = 2 / l_j^2 (q_j sum_i A_i - sum_i A_i x_ij); with warping, q and
        # x are the warped points and the result is multiplied by dw(q_j)/dq_j.
        scale = 2.0 * self._inv_ls2[cont]
        if self.params.warped:
            scale = scale * warped.dW_du[:, cont]
        Xc, Qc = self._W[:, cont], warped.W[:, cont]
        A = dk_dr2 * self._alpha
        B = dk_dr2 * v
        dmean = np.zeros_like(Xq)
        dvar = np.zeros_like(Xq)
        dmean[:, cont] = scale * (Qc * A.sum(1)[:, None] - A @ Xc)
        dvar[:, cont] = -2.0 * scale * (Qc * B.sum(1)[:, None] - B @ Xc)
        dvar[var <= 1e-10 * self.params.signal_var] = 0.0  # at the floor
        ys = self.y_std
        return self.y_mean + ys * mean, ys * (ys * var), ys * dmean, ys * (ys * dvar)

    def condition_on(self, X_new: np.ndarray, y_new: np.ndarray) -> GaussianProcess:
        """The same GP (hyperparameters and standardisation) with more observations.

        Args:
            X_new: ``k x d`` inputs.
            y_new: ``k`` targets, in the units of ``y``.
        """
        return GaussianProcess(
            np.vstack([self.X, np.asarray(X_new, dtype=float).reshape(-1, self.n_dims)]),
            np.concatenate([self.y, np.asarray(y_new, dtype=float).ravel()]),
            self.params,
            categorical=self.categorical,
            y_mean=self.y_mean,
            y_std=self.y_std,
        )


def fit_gp(
    X: np.ndarray,
    y: np.ndarray,
    *,
    categorical: Sequence[bool] | np.ndarray | None = None,
    warm_start: GPParams | None = None,
    rng: np.random.Generator | None = None,
    n_restarts: int | None = None,
    max_iter: int = 200,
    input_warping: bool = False,
) -> GaussianProcess:
    """Fit the hyperparameters by maximum a posteriori and condition on the data.

    Args:
        X: ``n x d`` inputs; must be finite (impute inactive dimensions first).
        y: ``n`` targets; rows with non-finite targets are ignored.
        categorical: ``d`` flags of the dimensions compared by Hamming distance.
        warm_start: Hyperparameters to start from (a previous fit); ignored if ``d`` differs.
            Its warping is dropped without ``input_warping``, and the identity with it when it
            has none.
        rng: Draws the random restarts.
        n_restarts: Starts drawn from the prior besides the warm start and the prior mode
            (always tried); default 0 with a warm start, else 2.
        max_iter: L-BFGS-B iterations per start.
        input_warping: Also fit a Kumaraswamy warping ``w(u) = 1 - (1 - u^a)^b`` of each
            non-categorical dimension: ``log a, log b ~ N(0, 0.5^2)`` (the identity unless the
            data ask for more), jointly with the kernel hyperparameters.

    Returns:
        The fitted ``GaussianProcess``.

    Example:
        >>> import numpy as np
        >>> from tunesmith.models.gp import fit_gp
        >>> rng = np.random.default_rng(0)
        >>> X = rng.random((20, 2))
        >>> gp = fit_gp(X, X[:, 0], rng=rng)  # the second dimension does not matter
        >>> bool(gp.params.lengthscales[1] > 3 * gp.params.lengthscales[0])
        True
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X must be n x d and y of length n, but got {X.shape} and {y.shape}.")
    if not np.isfinite(X).all():
        raise ValueError("X must be finite; impute inactive (nan) dimensions before fitting.")
    keep = np.isfinite(y)
    X, y = X[keep], y[keep]
    n, d = X.shape
    cat = _categorical_mask(categorical, d)
    y_mean, y_std = standardisation(y)
    if warm_start is not None and warm_start.n_dims != d:
        warm_start = None
    warped = input_warping and not cat.all()  # nothing to warp if every dimension is categorical
    if warm_start is not None:
        warm_start = warm_start.with_warping(warped)
    if n == 0:
        params = warm_start or GPParams.prior_mode(d, warped=warped)
        return GaussianProcess(X, y, params, categorical=cat, y_mean=y_mean, y_std=y_std)
    rng = rng if rng is not None else np.random.default_rng()
    bounds = _bounds(d, ~cat if warped else None)
    loc, scale = _prior_loc(d, warped), _prior_scale(d, warped)
    # The prior mode is always a start: a warm start alone can stay stuck in a poor optimum
    # (one tiny lengthscale that mimics noise), fit after fit.
    starts = [loc] if warm_start is None else [warm_start.to_theta(), loc]
    extra = n_restarts if n_restarts is not None else (0 if warm_start else 2)
    for _ in range(extra):
        starts.append(loc + scale * rng.standard_normal(len(loc)))
    objective = _LogPosterior(X, (y - y_mean) / y_std, cat, warped)

    def negative(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = objective(theta)
        return -value, -grad

    best_theta, best_value = None, np.inf
    for x0 in starts:
        res = scipy.optimize.minimize(
            negative,
            np.clip(x0, bounds[:, 0], bounds[:, 1]),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter},
        )
        if np.isfinite(res.fun) and res.fun < best_value:
            best_theta, best_value = res.x, float(res.fun)
    best = best_theta if best_theta is not None else loc
    params = GPParams.from_theta(best, warped=warped)
    return GaussianProcess(X, y, params, categorical=cat, y_mean=y_mean, y_std=y_std)
