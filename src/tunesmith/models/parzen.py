"""Parzen estimators on the unit cube: the densities ``l(x)`` and ``g(x)`` of TPE.

A ``ParzenEstimator`` is a weighted mixture of product kernels, one kernel per observation plus
a wide *prior* kernel (Bergstra et al. 2011, "Algorithms for hyper-parameter optimization", sec.
4; Watanabe 2023, "Tree-structured Parzen estimator: understanding its algorithm components and
their roles for better empirical performance", eq. 6):

    p(x) = sum_j w_j prod_i k_ij(x_i)

Each coordinate is one of three kinds (``Dim``): continuous (a Gaussian truncated to
``[0, 1]``), discrete numeric (the same Gaussian integrated over the bin of ``x_i``, so a
probability mass) or categorical (an Aitchison-Aitken kernel: mass ``p_hi`` on the kernel's own
choice, ``p_lo`` on each other choice).

Observations may lack coordinates (``nan``: a conditional parameter that was inactive). Kernel
``j`` then uses, in coordinate ``i``, the mixture of the kernels that do have ``i`` (with their
weights, the prior included): ``m_i``. Each factor still integrates to one, so ``p`` is a proper
density over a tree-structured space, where a point only has its active coordinates: the density
of a point integrates the inactive coordinates out (pass ``active``). The density of a
coordinate therefore only ever comes from observations in which it was active. ``posterior``
reweighs the kernels by their density at some coordinates' values, which turns ``log_pdf`` and
``sample`` into the conditional density of the other coordinates.

Everything here is array math: no studies, trials or spaces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "BANDWIDTH_RULES",
    "CATEGORICAL_KERNELS",
    "Dim",
    "ParzenEstimator",
    "bandwidths",
    "log_ndtr_diff",
]

BandwidthRule = Literal["scott", "hyperopt", "optuna"]
CategoricalKernel = Literal["aitchison-aitken", "optuna"]
BANDWIDTH_RULES: tuple[str, ...] = ("scott", "hyperopt", "optuna")
CATEGORICAL_KERNELS: tuple[str, ...] = ("aitchison-aitken", "optuna")

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_TINY = 1e-300


@dataclass(frozen=True, slots=True, eq=False)
class Dim:
    """How one unit-cube coordinate is modelled.

    Attributes:
        n_choices: ``> 0`` for a categorical coordinate: choice ``c`` owns the bin
            ``[c / n, (c + 1) / n)``.
        edges: For a discrete numeric coordinate, the ``k + 1`` increasing bin edges from 0 to 1;
            a value is the centre of its bin.
    """

    n_choices: int = 0
    edges: np.ndarray | None = field(default=None)

    @property
    def kind(self) -> Literal["continuous", "discrete", "categorical"]:
        if self.n_choices:
            return "categorical"
        return "continuous" if self.edges is None else "discrete"

    def snap(self, u: np.ndarray) -> np.ndarray:
        """Centres of the bins of ``u`` (shape kept); ``u`` itself for a continuous coordinate."""
        if self.n_choices:
            return (self.index(u) + 0.5) / self.n_choices
        if self.edges is None:
            return u
        b = self.index(u)
        return np.asarray(0.5 * (self.edges[b] + self.edges[b + 1]))

    def index(self, u: np.ndarray) -> np.ndarray:
        """Bin (or choice) index of each ``u``."""
        if self.n_choices:
            return np.asarray(
                np.minimum(
                    (np.clip(u, 0.0, 1.0) * self.n_choices).astype(np.intp), self.n_choices - 1
                )
            )
        assert self.edges is not None
        b = np.searchsorted(self.edges, u, side="right") - 1
        return np.asarray(np.clip(b, 0, len(self.edges) - 2))


def _erfc(x: np.ndarray) -> np.ndarray:
    """``erfc(x)`` with relative error < 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit)."""
    r = _erfc_nonneg(np.abs(x))
    return np.asarray(np.where(x >= 0, r, 2.0 - r))


def _erfc_nonneg(z: np.ndarray) -> np.ndarray:
    """``erfc(z)`` for ``z >= 0`` (see ``_erfc``)."""
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t
                    * (
                        0.27886807
                        + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                    )
                )
            )
        )
    )
    return np.asarray(t * np.exp(-z * z + poly))


def log_ndtr_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for ``a <= b`` (standard normal CDF), accurate in both tails."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    # Phi(b) - Phi(a) = (erfc(-b/s2) - erfc(-a/s2)) / 2, and by symmetry the upper tail
    # (erfc(a/s2) - erfc(b/s2)) / 2: use the form whose terms are small, so nothing cancels.
    upper = a > 0
    lo = np.where(upper, a, -b)
    hi = np.where(upper, b, -a)
    s2 = math.sqrt(2.0)
    mass = 0.5 * (_erfc(lo / s2) - _erfc(hi / s2))
    return np.asarray(np.log(np.maximum(mass, _TINY)))


def bandwidths(
    mus: np.ndarray,
    rule: BandwidthRule,
    *,
    n_dims: int = 1,
    min_bandwidth: float = 0.01,
) -> np.ndarray:
    """Bandwidths of kernels centred at ``mus`` (``n x c``: ``c`` coordinates, each in ``[0, 1]``).

    Rules (Watanabe 2023, sec. 3.3 and table 6), per column:
        ``"scott"``: one width for the column, Scott's rule ``1.059 min(IQR / 1.34, std)
            (n + 1)^(-1/5)`` on the centres and the prior's centre 0.5.
        ``"hyperopt"``: the larger distance to a neighbouring centre (a bound counts as a
            neighbour only while there are fewer than 2 centres, as Optuna's
            ``consider_endpoints=False``), at least Optuna's "magic clip" ``1 / min(100, n + 2)``.
        ``"optuna"``: Optuna 2's multivariate rule ``0.2 n^(-1 / (d + 4))``.

    Every width is then clipped into ``[min_bandwidth, 1]``. Returns ``n x c`` (or ``(n,)`` for
    a 1-D ``mus``).
    """
    mus = np.asarray(mus, dtype=float)
    flat = mus.ndim == 1
    M = mus[:, None] if flat else mus
    n, c = M.shape
    if n == 0:
        return np.empty(mus.shape)
    if rule == "scott":
        pts = np.sort(np.vstack([M, np.full((1, c), 0.5)]), axis=0)
        std = pts.std(axis=0, ddof=1)
        iqr = _sorted_quantile(pts, 0.75) - _sorted_quantile(pts, 0.25)
        spread = np.minimum(iqr / 1.34, std)
        spread = np.where(spread > 0, spread, std)
        sig = np.broadcast_to(1.059 * spread * (n + 1) ** -0.2, (n, c))
    elif rule == "hyperopt":
        order = np.argsort(M, axis=0)
        srt = np.take_along_axis(M, order, axis=0)
        ext = np.vstack([np.zeros((1, c)), srt, np.ones((1, c))])
        gaps = np.maximum(ext[1:-1] - ext[:-2], ext[2:] - ext[1:-1])
        if n >= 2:  # the outermost centres: distance to the inner neighbour only
            gaps[0] = ext[2] - ext[1]
            gaps[-1] = ext[-2] - ext[-3]
        sig = np.empty((n, c))
        np.put_along_axis(sig, order, gaps, axis=0)
        sig = np.maximum(sig, 1.0 / min(100.0, n + 2.0))
    elif rule == "optuna":
        sig = np.full((n, c), 0.2 * n ** (-1.0 / (n_dims + 4)))
    else:
        raise ValueError(f"bandwidth rule must be one of {BANDWIDTH_RULES}, but got {rule!r}.")
    out = np.clip(sig, min_bandwidth, 1.0)
    return np.asarray(out[:, 0] if flat else out)


def _sorted_quantile(srt: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` of each column of the column-sorted ``srt`` (linear interpolation)."""
    pos = q * (len(srt) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(srt) - 1)
    return np.asarray(srt[lo] + (pos - lo) * (srt[hi] - srt[lo]))


class ParzenEstimator:
    """A mixture of product kernels over ``[0, 1]^d``: one per observation, plus a prior.

    Args:
        X: ``n x d`` observations in the unit cube; ``nan`` where a coordinate is missing.
        dims: ``d`` coordinate kinds.
        weights: ``(n,)`` non-negative observation weights; ones by default.
        prior_weight: Weight of the prior kernel (in units of one observation of weight 1): a
            Gaussian centred at 0.5 with width 1 in numeric coordinates, uniform in categorical
            ones.
        bandwidth: Rule for the kernel widths of numeric coordinates (see ``bandwidths``).
        min_bandwidth: Smallest kernel width, in units of the unit interval.
        categorical: ``"aitchison-aitken"``: the kernel keeps ``1 - smoothing`` on its own
            choice and spreads ``smoothing`` evenly over the others; ``"optuna"``: Optuna's
            kernel, ``prior_weight / (n + 1)`` on every choice plus 1 on its own, normalised.
        smoothing: See ``categorical``.

    Example:
        >>> import numpy as np
        >>> from tunesmith.models.parzen import Dim, ParzenEstimator
        >>> pe = ParzenEstimator(np.array([[0.2, 0.25], [0.3, 0.75]]), [Dim(), Dim(n_choices=2)])
        >>> pe.sample(np.random.default_rng(0), 5).shape
        (5, 2)
        >>> bool(pe.log_pdf(np.array([[0.25, 0.25]]))[0] > pe.log_pdf(np.array([[0.9, 0.25]]))[0])
        True
    """

    def __init__(
        self,
        X: np.ndarray,
        dims: Sequence[Dim],
        *,
        weights: np.ndarray | None = None,
        prior_weight: float = 1.0,
        bandwidth: BandwidthRule = "scott",
        min_bandwidth: float = 0.01,
        categorical: CategoricalKernel = "aitchison-aitken",
        smoothing: float = 0.2,
    ) -> None:
        X = np.array(X, dtype=float).reshape(-1, len(dims))  # a copy: discrete values get snapped
        n, d = X.shape
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (n,) or np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError(f"weights must be {n} finite values >= 0, but got {w!r}.")
        if not prior_weight > 0:
            raise ValueError(f"prior_weight must be > 0, but got prior_weight={prior_weight!r}.")
        self.dims = tuple(dims)
        k = n + 1  # kernels: one per observation, the prior last
        self.n_kernels = k
        self.weights = np.append(w, prior_weight) / (w.sum() + prior_weight)
        self.log_weights = np.log(np.maximum(self.weights, _TINY))
        self.observed = np.ones((k, d), dtype=bool)
        self.observed[:n] = ~np.isnan(X)
        self.mu = np.full((k, d), 0.5)
        self.sigma = np.ones((k, d))
        self.log_z = np.zeros((k, d))  # log of each truncated Gaussian's mass on [0, 1]
        kc = k if any(dm.n_choices for dm in self.dims) else 0  # categorical coordinates only:
        self.log_p_lo = np.zeros((kc, d))  # log mass on a choice not the kernel's centre
        self.log_gain = np.zeros((kc, d))  # log(p_hi / p_lo) of the kernel's centre
        self.centre = np.zeros((kc, d), dtype=np.intp)
        self.numeric = np.array(
            [i for i, dm in enumerate(self.dims) if not dm.n_choices], dtype=np.intp
        )
        self.continuous = np.array(
            [i for i, dm in enumerate(self.dims) if dm.kind == "continuous"], dtype=np.intp
        )
        for i, dim in enumerate(self.dims):
            if dim.kind == "continuous":
                continue
            obs = self.observed[:n, i]
            if dim.n_choices:
                self._fit_categorical(
                    i=i,
                    n_choices=dim.n_choices,
                    obs=obs,
                    xs=X[:n, i][obs],
                    kernel=categorical,
                    smoothing=smoothing,
                    prior_weight=prior_weight,
                )
            elif dim.edges is not None:
                X[:n, i] = dim.snap(X[:n, i])
        num = self.numeric
        if num.size and n:
            full = self.observed[:n, num].all(axis=0)
            if full.any():  # columns without missing values: all at once
                cols = num[full]
                self.mu[:n, cols] = X[:n, cols]
                self.sigma[:n, cols] = bandwidths(
                    X[:n, cols], bandwidth, n_dims=d, min_bandwidth=min_bandwidth
                )
            for col in num[~full]:
                rows = np.flatnonzero(self.observed[:n, col])
                self.mu[rows, col] = X[rows, col]
                self.sigma[rows, col] = bandwidths(
                    X[rows, col], bandwidth, n_dims=d, min_bandwidth=min_bandwidth
                )
        if num.size:
            self.log_z[:, num] = _log_mass_in_unit(self.mu[:, num], self.sigma[:, num])
        self.all_observed = bool(self.observed.all())
        self._marginal_weights: np.ndarray | None = None
        self._terms: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None] | None = None

    @property
    def marginal_weights(self) -> np.ndarray:
        """``k x d``: in column ``i``, the weights of ``m_i``, the mixture of the kernels having
        coordinate ``i``."""
        if self._marginal_weights is None:
            wi = np.where(self.observed, self.weights[:, None], 0.0)
            self._marginal_weights = wi / wi.sum(axis=0)
        return self._marginal_weights

    def _fit_categorical(
        self,
        *,
        i: int,
        n_choices: int,
        obs: np.ndarray,
        xs: np.ndarray,
        kernel: CategoricalKernel,
        smoothing: float,
        prior_weight: float,
    ) -> None:
        rows = np.flatnonzero(obs)
        self.centre[rows, i] = Dim(n_choices=n_choices).index(xs)
        self.log_p_lo[:, i] = -math.log(n_choices)  # the prior (and missing rows): uniform
        if n_choices == 1 or len(rows) == 0:
            return
        if kernel == "aitchison-aitken":
            p_hi, p_lo = 1.0 - smoothing, smoothing / (n_choices - 1)
        else:  # Optuna: prior_weight / k on every choice, plus 1 on the observed one
            eps = prior_weight / (len(xs) + 1)
            p_hi, p_lo = (1.0 + eps) / (1.0 + n_choices * eps), eps / (1.0 + n_choices * eps)
        self.log_p_lo[rows, i] = math.log(p_lo)
        self.log_gain[rows, i] = math.log(p_hi) - math.log(p_lo)

    # -- density -----------------------------------------------------------------------------
    def _log_kernels(self, i: int, x: np.ndarray) -> np.ndarray:
        """``m x k`` log densities (or masses) in coordinate ``i`` of each kernel at ``x``."""
        dim = self.dims[i]
        if dim.n_choices:
            c = dim.index(x)
            hit = c[:, None] == self.centre[None, :, i]
            return np.asarray(self.log_p_lo[None, :, i] + hit * self.log_gain[None, :, i])
        mu, sig, log_z = self.mu[:, i], self.sigma[:, i], self.log_z[:, i]
        if dim.edges is None:
            z = (x[:, None] - mu) / sig
            return np.asarray(-0.5 * z * z - np.log(sig) - _LOG_SQRT_2PI - log_z)
        # Discrete: mass of the bin of x. Centres sit on bin centres and kernels often share a
        # width, so with many kernels compute each distinct (bin, kernel shape) pair once.
        assert dim.edges is not None
        b = dim.index(x)
        if len(mu) <= 256:
            lo, hi = dim.edges[b][:, None], dim.edges[b + 1][:, None]
            return log_ndtr_diff((lo - mu) / sig, (hi - mu) / sig) - log_z
        ub, b_inv = np.unique(b, return_inverse=True)
        us, s_inv = np.unique(mu + 1j * sig, return_inverse=True)
        lo, hi = dim.edges[ub][:, None], dim.edges[ub + 1][:, None]
        m_, s_ = us.real[None, :], us.imag[None, :]
        table = log_ndtr_diff((lo - m_) / s_, (hi - m_) / s_)
        return table[np.ix_(b_inv.ravel(), s_inv.ravel())] - log_z[None, :]

    def _log_marginal(self, i: int, x: np.ndarray, kernels: np.ndarray | None = None) -> np.ndarray:
        """``(m,)`` log density of ``m_i``, the mixture of the kernels having coordinate ``i``."""
        lk = self._log_kernels(i, x) if kernels is None else kernels
        mw = self.marginal_weights[:, i]
        keep = mw > 0
        return _logsumexp(lk[:, keep] + np.log(mw[keep]))

    def _gauss_terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """``k x c`` terms of the continuous coordinates' log-kernels (zero where missing)."""
        if self._terms is None:
            cont = self.continuous
            obs = self.observed[:, cont]
            sig, mu = self.sigma[:, cont], self.mu[:, cont]
            prec = 1.0 / (sig * sig)
            const = -0.5 * mu * mu * prec - np.log(sig) - _LOG_SQRT_2PI - self.log_z[:, cont]
            missing = None
            if not self.all_observed:
                prec, const = np.where(obs, prec, 0.0), np.where(obs, const, 0.0)
                missing = (~obs).astype(float)
            self._terms = (prec, prec * mu, const, missing)
        return self._terms

    def log_pdf(
        self,
        U: np.ndarray,
        active: np.ndarray | None = None,
        *,
        log_weights: np.ndarray | None = None,
    ) -> np.ndarray:
        """Log density at each row of ``U`` (``m x d``); ``active`` (``m x d`` bool) marks the
        coordinates a point has (others are integrated out). Returns shape ``(m,)``.

        Discrete and categorical coordinates contribute probability masses, continuous ones
        densities. ``log_weights`` (``(k,)``, normalised) replaces the kernel weights, e.g. by
        those of ``posterior``.
        """
        lw = self.log_weights if log_weights is None else log_weights
        return _logsumexp(self.log_kernels(U, active) + lw)

    def posterior(self, x: np.ndarray, active: np.ndarray) -> np.ndarray:
        """``(k,)`` normalised log kernel weights given the coordinates ``active`` of point ``x``.

        With them, ``log_pdf`` and ``sample`` are the density of the other coordinates
        conditional on these: ``p(x_c | x_a)`` weighs kernel ``j`` by ``w_j k_j(x_a)``.
        """
        post = self.log_weights + self.log_kernels(x[None, :], active[None, :])[0]
        return np.asarray(post - _logsumexp(post[None, :])[0])

    def log_kernels(self, U: np.ndarray, active: np.ndarray | None = None) -> np.ndarray:
        """``m x k``: log of each kernel's product over the active coordinates of each point."""
        U = np.asarray(U, dtype=float).reshape(-1, len(self.dims))
        act = ~np.isnan(U) if active is None else np.asarray(active, dtype=bool) & ~np.isnan(U)
        U = np.where(act, U, 0.5)
        total = np.zeros((len(U), self.n_kernels))
        cont = self.continuous
        if cont.size:
            # Sum of Gaussian log-kernels as three matrix products:
            # -(x - mu)^2 / (2 s^2) = -x^2 / (2 s^2) + x mu / s^2 - mu^2 / (2 s^2).
            a = act[:, cont].astype(float)
            ax = a * U[:, cont]
            prec, prec_mu, const, missing = self._gauss_terms()
            total += (-0.5 * (ax * U[:, cont])) @ prec.T + ax @ prec_mu.T + a @ const.T
            if missing is not None:
                lm = np.column_stack([self._log_marginal(i, U[:, i]) for i in cont])
                total += (a * lm) @ missing.T
        for i, dim in enumerate(self.dims):
            if dim.kind == "continuous" or not act[:, i].any():
                continue
            lk = self._log_kernels(i, U[:, i])
            if not self.observed[:, i].all():
                lm = self._log_marginal(i, U[:, i], lk)
                lk = np.where(self.observed[None, :, i], lk, lm[:, None])
            total += act[:, i, None] * lk
        return total

    # -- sampling ----------------------------------------------------------------------------
    def sample(
        self, rng: np.random.Generator, size: int, *, log_weights: np.ndarray | None = None
    ) -> np.ndarray:
        """``size x d`` points drawn from the mixture (discrete ones at bin centres);
        ``log_weights`` as in ``log_pdf``."""
        d = len(self.dims)
        out = np.empty((size, d))
        p = self.weights if log_weights is None else np.exp(log_weights)
        j = _choice(rng, p, size)
        J = np.repeat(j[:, None], d, axis=1)  # the kernel used in each coordinate
        if not self.all_observed:
            missing = ~self.observed[J, np.arange(d)]
            for i in np.flatnonzero(missing.any(axis=0)).tolist():  # a kernel of m_i instead
                rows = missing[:, i]
                J[rows, i] = _choice(rng, self.marginal_weights[:, i], int(rows.sum()))
        num = self.numeric
        if num.size:
            Jn = J[:, num]
            draws = _truncnorm(rng, self.mu[Jn, num], self.sigma[Jn, num])
            for col, k in enumerate(num.tolist()):
                out[:, k] = self.dims[k].snap(draws[:, col])
        for i, dim in enumerate(self.dims):
            if dim.n_choices:
                ji = J[:, i]
                p_lo = np.exp(self.log_p_lo[ji, i])
                p_hi = p_lo * np.exp(self.log_gain[ji, i])
                # p(c) = p_lo + [c = centre](p_hi - p_lo): the centre w.p. p_hi - p_lo, else
                # a uniform choice.
                own = rng.random(size) < p_hi - p_lo
                anyone = rng.integers(0, dim.n_choices, size=size)
                idx = np.where(own, self.centre[ji, i], anyone)
                out[:, i] = (idx + 0.5) / dim.n_choices
        return out


def _choice(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """``size`` indices drawn with probabilities ``p`` (not necessarily normalised)."""
    cum = np.cumsum(p)
    j = np.searchsorted(cum, rng.random(size) * cum[-1], side="right")
    return np.asarray(np.minimum(j, len(p) - 1))


def _log_mass_in_unit(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``log(Phi((1 - mu) / sigma) - Phi(-mu / sigma))`` for ``mu`` in ``[0, 1]``: both tails
    outside ``[0, 1]`` are ``erfc`` of non-negative arguments, and their sum stays below 0.62."""
    out = np.zeros(mu.shape)
    near = (mu < 8.0 * sigma) | (1.0 - mu < 8.0 * sigma)  # elsewhere the tails are < 1e-15
    m, s = mu[near], sigma[near] * math.sqrt(2.0)
    tails = _erfc_nonneg(np.concatenate([m / s, (1.0 - m) / s]))
    out[near] = np.log(1.0 - 0.5 * (tails[: len(m)] + tails[len(m) :]))
    return out


def _truncnorm(rng: np.random.Generator, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Gaussian draws truncated to ``[0, 1]`` by rejection (a kernel keeps >= 38% of its mass)."""
    x = mu + sigma * rng.standard_normal(mu.shape)
    bad = np.flatnonzero((x < 0.0) | (x > 1.0))
    xf, mf, sf = x.reshape(-1), mu.reshape(-1), sigma.reshape(-1)
    while bad.size:
        xf[bad] = mf[bad] + sf[bad] * rng.standard_normal(bad.size)
        bad = bad[(xf[bad] < 0.0) | (xf[bad] > 1.0)]
    return x


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """Row-wise ``log(sum(exp(a)))`` of an ``m x k`` array."""
    top = a.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.asarray(np.log(np.exp(a - top[:, None]).sum(axis=1)) + top)
