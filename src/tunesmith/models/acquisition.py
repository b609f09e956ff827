"""Acquisition functions for minimisation, with gradients w.r.t. the posterior mean and std.

Each acquisition consumes a Gaussian posterior ``(mean, std)`` of shape ``(m,)`` and returns
``(value, dvalue_dmean, dvalue_dstd)``, each ``(m,)``; larger values are better candidates.
``chain_to_x`` carries the gradients to the inputs with the posterior's own gradients.

With ``z = (best_f - mean) / std``, ``phi`` and ``Phi`` the standard normal density and CDF:

- ``"ei"``: expected improvement ``std * h(z)``, ``h(z) = phi(z) + z Phi(z)``;
- ``"logei"``: ``log(std) + log h(z)``, finite where EI underflows (Ament et al., "Unexpected
  improvements to expected improvement for Bayesian optimization", NeurIPS 2023, eq. 9);
- ``"pi"``: probability of improvement ``Phi(z)``; ``"logpi"``: its log;
- ``"lcb"``: lower confidence bound, as a value to maximise: ``kappa * std - mean``.

Example:
    >>> import numpy as np
    >>> from tunesmith.models.acquisition import get_acquisition
    >>> logei = get_acquisition("logei")
    >>> value, _, _ = logei(np.array([0.0, 50.0]), np.array([1.0, 1.0]), best_f=0.0)
    >>> [round(float(v), 2) for v in value]  # EI of the second point underflows, its log does not
    [-0.92, -1258.74]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

from .._checks import check_choice, check_float

__all__ = [
    "ACQUISITIONS",
    "AcquisitionFunction",
    "AcquisitionName",
    "chain_to_x",
    "expected_improvement",
    "get_acquisition",
    "log_expected_improvement",
    "log_h",
    "log_probability_of_improvement",
    "lower_confidence_bound",
    "probability_of_improvement",
]

AcquisitionName = Literal["ei", "logei", "pi", "logpi", "lcb", "ucb"]
#: ``"ucb"`` is the name most libraries use for the confidence bound; for minimisation it is
#: the lower bound, so both names give the same function.
ACQUISITIONS: tuple[str, ...] = ("ei", "logei", "pi", "logpi", "lcb", "ucb")

_Result = tuple[np.ndarray, np.ndarray, np.ndarray]
_C1 = 0.5 * math.log(2.0 * math.pi)
_C2 = 0.5 * math.log(math.pi / 2.0)
_TAIL = -100.0  # below, the asymptotic series of h is exact to double precision


#: ``(mean, std, best_f) -> (value, dvalue_dmean, dvalue_dstd)``, all ``(m,)``.
AcquisitionFunction = Callable[[np.ndarray, np.ndarray, float], _Result]


def _phi(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.exp(-0.5 * z * z - _C1)
    return out


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x < 0`` without cancellation (Maechler 2012)."""
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.where(x > -math.log(2.0), np.log(-np.expm1(x)), np.log1p(-np.exp(x)))
    return out


def log_h(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log h(z)`` for ``h(z) = phi(z) + z Phi(z)`` and its derivative ``Phi(z) / h(z)``.

    Ament et al. (2023), eq. (9): for ``-100 < z <= -1``,
    ``log h(z) = -z^2/2 - log(2 pi)/2 + log1mexp(log(erfcx(-z/sqrt2) |z|) + log(pi/2)/2)``;
    below ``-100``, where ``1 - |z| Phi(z) / phi(z)`` would cancel, the asymptotic series
    ``h(z) = phi(z) / z^2 (1 - 3/z^2 + 15/z^4 - 105/z^6 + 945/z^8 - ...)`` (its next term is
    below ``1e-16``).

    Example:
        >>> import numpy as np
        >>> from tunesmith.models.acquisition import log_h
        >>> value, slope = log_h(np.array([-40.0]))
        >>> round(float(value[0]), 4), round(float(slope[0]), 3)
        (-808.2986, 40.05)
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    slope = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    h = _phi(zu) + zu * ndtr(zu)
    out[upper] = np.log(h)
    slope[upper] = ndtr(zu) / h
    mid = ~upper & (z > _TAIL)
    zm = z[mid]
    # Mills ratio Phi(z) / phi(z) = sqrt(pi/2) erfcx(-z / sqrt2); h = phi (1 - |z| * ratio)
    ratio = math.sqrt(math.pi / 2.0) * erfcx(-zm / math.sqrt(2.0))
    out[mid] = -0.5 * zm * zm - _C1 + _log1mexp(np.log(ratio * np.abs(zm)))
    slope[mid] = ratio / (1.0 - np.abs(zm) * ratio)
    low = ~upper & ~mid
    zl = z[low]
    u = 1.0 / (zl * zl)
    series = 1.0 + u * (-3.0 + u * (15.0 + u * (-105.0 + u * 945.0)))
    dseries = (u / zl) * (6.0 + u * (-60.0 + u * (630.0 - u * 7560.0)))  # d series / dz
    out[low] = -0.5 * zl * zl - _C1 - 2.0 * np.log(np.abs(zl)) + np.log(series)
    slope[low] = -zl - 2.0 / zl + dseries / series
    return out, slope


def _z(mean: np.ndarray, std: np.ndarray, best_f: float) -> tuple[np.ndarray, np.ndarray]:
    mean = np.asarray(mean, dtype=float)
    std = np.maximum(np.asarray(std, dtype=float), 1e-300)
    return (best_f - mean) / std, std


def expected_improvement(mean: np.ndarray, std: np.ndarray, best_f: float) -> _Result:
    """EI ``= std * h(z)``; ``dEI/dmean = -Phi(z)``, ``dEI/dstd = phi(z)``."""
    z, std = _z(mean, std, best_f)
    cdf, pdf = ndtr(z), _phi(z)
    return std * (pdf + z * cdf), -cdf, pdf


def log_expected_improvement(mean: np.ndarray, std: np.ndarray, best_f: float) -> _Result:
    """``log EI = log std + log h(z)``; with ``r = Phi(z) / h(z)``: ``d/dmean = -r / std``,
    ``d/dstd = (1 - z r) / std``."""
    z, std = _z(mean, std, best_f)
    value, r = log_h(z)
    return np.log(std) + value, -r / std, (1.0 - z * r) / std


def probability_of_improvement(mean: np.ndarray, std: np.ndarray, best_f: float) -> _Result:
    """PI ``= Phi(z)``; ``dPI/dmean = -phi(z) / std``, ``dPI/dstd = -z phi(z) / std``."""
    z, std = _z(mean, std, best_f)
    pdf = _phi(z)
    return ndtr(z), -pdf / std, -z * pdf / std


def log_probability_of_improvement(mean: np.ndarray, std: np.ndarray, best_f: float) -> _Result:
    """``log Phi(z)``, with the stable ratio ``phi(z) / Phi(z) = exp(log phi - log Phi)``.

    With ``best_f = 0`` applied to a constraint's posterior, this is the log probability that
    the constraint is satisfied (``c <= 0``).
    """
    z, std = _z(mean, std, best_f)
    log_cdf = log_ndtr(z)
    ratio = np.exp(-0.5 * z * z - _C1 - log_cdf)
    return log_cdf, -ratio / std, -z * ratio / std


def lower_confidence_bound(mean: np.ndarray, std: np.ndarray, kappa: float) -> _Result:
    """``kappa * std - mean``, the negated lower confidence bound ``mean - kappa * std``."""
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    return kappa * std - mean, np.full_like(mean, -1.0), np.full_like(std, kappa)


def get_acquisition(name: str, *, kappa: float = 2.0) -> AcquisitionFunction:
    """The acquisition function called ``name`` (one of ``ACQUISITIONS``).

    Args:
        name: ``"ei"``, ``"logei"``, ``"pi"``, ``"logpi"`` or ``"lcb"`` (alias ``"ucb"``).
        kappa: Exploration weight of ``"lcb"``, ``>= 0``.

    Raises:
        ValueError: Unknown name, or a negative or non-finite ``kappa``.

    Example:
        >>> import numpy as np
        >>> from tunesmith.models.acquisition import get_acquisition
        >>> ei = get_acquisition("ei")
        >>> value, dmean, dstd = ei(np.array([0.0]), np.array([1.0]), best_f=0.0)
        >>> round(float(value[0]), 4), float(dmean[0]), round(float(dstd[0]), 4)
        (0.3989, -0.5, 0.3989)
    """
    check_choice(name, "acquisition", ACQUISITIONS)
    k = check_float(
        kappa, "kappa", low=0.0, high=math.inf, high_open=True, rule="a number in [0, inf)"
    )
    if name in ("lcb", "ucb"):

        def lcb(mean: np.ndarray, std: np.ndarray, best_f: float) -> _Result:
            return lower_confidence_bound(mean, std, k)

        return lcb
    table: dict[str, AcquisitionFunction] = {
        "ei": expected_improvement,
        "logei": log_expected_improvement,
        "pi": probability_of_improvement,
        "logpi": log_probability_of_improvement,
    }
    return table[name]


def chain_to_x(
    dvalue_dmean: np.ndarray,
    dvalue_dstd: np.ndarray,
    std: np.ndarray,
    dmean: np.ndarray,
    dvar: np.ndarray,
) -> np.ndarray:
    """Gradient ``m x d`` of an acquisition w.r.t. the inputs, by the chain rule.

    ``d value / dx = dvalue_dmean * dmean + dvalue_dstd * dvar / (2 std)``, with ``dmean`` and
    ``dvar`` (``m x d``) from ``GaussianProcess.posterior_with_grad``.
    """
    dstd = dvar / (2.0 * np.asarray(std, dtype=float))[:, None]
    out: np.ndarray = np.asarray(dvalue_dmean)[:, None] * dmean
    return out + np.asarray(dvalue_dstd)[:, None] * dstd
