"""The Parzen estimator of TPE: a proper density, the mixture it claims to be, and its samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.special

from tunesmith.models.parzen import (
    BANDWIDTH_RULES,
    Dim,
    ParzenEstimator,
    bandwidths,
    log_ndtr_diff,
)


def _trunc_pdf(x: float, mu: float, sigma: float) -> float:
    """Density at ``x`` of N(mu, sigma) truncated to [0, 1], by hand."""

    def cdf(z: float) -> float:
        return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))

    z = cdf((1 - mu) / sigma) - cdf(-mu / sigma)
    return math.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi) * z)


@pytest.mark.parametrize("rule", BANDWIDTH_RULES)
def test_1d_density_integrates_to_one(rule: str) -> None:
    X = np.array([[0.1], [0.15], [0.5], [np.nan], [0.93], [0.0]])
    pe = ParzenEstimator(X, [Dim()], bandwidth=rule, weights=np.arange(1.0, 7.0))  # type: ignore[arg-type]
    grid = np.linspace(0.0, 1.0, 100_001)
    p = np.exp(pe.log_pdf(grid[:, None]))
    assert np.trapezoid(p, grid) == pytest.approx(1.0, abs=1e-6)


def test_2d_density_with_missing_coordinates_integrates_to_one() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((12, 2))
    X[[1, 4], 1] = np.nan
    X[7, 0] = np.nan
    pe = ParzenEstimator(X, [Dim(), Dim()])
    t = np.linspace(0.0, 1.0, 801)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1).reshape(-1, 2)
    p = np.exp(pe.log_pdf(grid)).reshape(801, 801)
    assert np.trapezoid(np.trapezoid(p, t, axis=1), t) == pytest.approx(1.0, abs=1e-4)


def test_density_matches_a_hand_computed_mixture() -> None:
    X = np.array([[0.2], [0.25], [0.9]])
    pe = ParzenEstimator(X, [Dim()], bandwidth="optuna", weights=np.array([1.0, 2.0, 1.0]))
    sigma = 0.2 * 3 ** (-1 / 5)  # Optuna 2's rule for n = 3 in 1-D
    # prior: N(0.5, 1) with weight 1 (one observation's worth); weights sum to 5
    kernels = [(0.2, sigma, 1.0), (0.25, sigma, 2.0), (0.9, sigma, 1.0), (0.5, 1.0, 1.0)]
    for x in (0.0, 0.22, 0.5, 0.88, 1.0):
        expected = sum(w * _trunc_pdf(x, m, s) for m, s, w in kernels) / 5.0
        assert math.exp(pe.log_pdf(np.array([[x]]))[0]) == pytest.approx(expected, rel=1e-6)


def test_a_missing_coordinate_uses_the_kernels_that_have_it() -> None:
    # Kernel 1 lacks x1: it uses m_1, the mixture of the kernels having x1 (kernel 0 and the prior).
    X = np.array([[0.2, 0.8], [0.7, np.nan]])
    pe = ParzenEstimator(X, [Dim(), Dim()], bandwidth="optuna")
    s = 0.2 * 2 ** (-1 / 6)  # n = 2 observed in x0, d = 2
    s1 = 0.2 * 1 ** (-1 / 6)  # n = 1 observed in x1
    x = (0.3, 0.6)
    m1 = (_trunc_pdf(x[1], 0.8, s1) + _trunc_pdf(x[1], 0.5, 1.0)) / 2
    expected = (
        _trunc_pdf(x[0], 0.2, s) * _trunc_pdf(x[1], 0.8, s1)
        + _trunc_pdf(x[0], 0.7, s) * m1
        + _trunc_pdf(x[0], 0.5, 1.0) * _trunc_pdf(x[1], 0.5, 1.0)
    ) / 3
    assert math.exp(pe.log_pdf(np.array([x]))[0]) == pytest.approx(expected, rel=1e-6)
    # An inactive coordinate is integrated out: only x0's marginal remains.
    only_x0 = sum(_trunc_pdf(x[0], m, sd) for m, sd in ((0.2, s), (0.7, s), (0.5, 1.0))) / 3
    got = pe.log_pdf(np.array([x]), active=np.array([[True, False]]))[0]
    assert math.exp(got) == pytest.approx(only_x0, rel=1e-6)


def test_discrete_masses_sum_to_one_and_match_the_bin_integral() -> None:
    edges = np.log(np.arange(1, 12)) / np.log(11)  # Int(1, 10, log=True): unequal bins
    dim = Dim(edges=edges)
    centres = 0.5 * (edges[:-1] + edges[1:])
    X = np.array([[centres[0]], [centres[3]], [centres[3]], [np.nan]])
    pe = ParzenEstimator(X, [dim], bandwidth="optuna")
    masses = np.exp(pe.log_pdf(centres[:, None]))
    assert masses.sum() == pytest.approx(1.0, abs=1e-9)
    # the mass of a bin is the integral of the continuous mixture over it
    cont = ParzenEstimator(X, [Dim()], bandwidth="optuna")
    t = np.linspace(edges[2], edges[3], 20_001)
    integral = np.trapezoid(np.exp(cont.log_pdf(t[:, None])), t)
    assert masses[2] == pytest.approx(integral, rel=1e-5)


@pytest.mark.parametrize("kernel", ["aitchison-aitken", "optuna"])
def test_categorical_probabilities_sum_to_one(kernel: str) -> None:
    dim = Dim(n_choices=4)
    X = (np.array([[0], [2], [2], [3]]) + 0.5) / 4
    pe = ParzenEstimator(X, [dim], categorical=kernel)  # type: ignore[arg-type]
    probs = np.exp(pe.log_pdf((np.arange(4)[:, None] + 0.5) / 4))
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert probs.argmax() == 2


def test_aitchison_aitken_kernel_by_hand() -> None:
    pe = ParzenEstimator(np.array([[0.5]]), [Dim(n_choices=3)], smoothing=0.2)
    # choice 1 observed: (0.8, 0.1, 0.1) for the kernel, 1/3 each for the prior, weights 1:1
    expected = 0.5 * np.array([0.1, 0.8, 0.1]) + 0.5 / 3
    got = np.exp(pe.log_pdf((np.arange(3)[:, None] + 0.5) / 3))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_mixed_space_masses_and_densities_normalise() -> None:
    edges = np.linspace(0, 1, 6)
    dims = [Dim(edges=edges), Dim(n_choices=3), Dim()]
    X = np.array([[0.1, 0.2, 0.3], [0.5, np.nan, 0.9], [np.nan, 0.9, np.nan]])
    pe = ParzenEstimator(X, dims, categorical="optuna", bandwidth="hyperopt")
    t = np.linspace(0, 1, 4001)
    total = 0.0
    for b in range(5):
        for c in range(3):
            pts = np.column_stack(
                [np.full_like(t, (b + 0.5) / 5), np.full_like(t, (c + 0.5) / 3), t]
            )
            total += np.trapezoid(np.exp(pe.log_pdf(pts)), t)
    assert total == pytest.approx(1.0, abs=1e-6)


def test_samples_come_from_the_mixture() -> None:
    rng = np.random.default_rng(1)
    X = np.array([[0.1, 0.9], [0.15, np.nan], [0.8, 0.3], [0.82, 0.35]])
    pe = ParzenEstimator(X, [Dim(), Dim()], weights=np.array([1.0, 1.0, 3.0, 1.0]))
    s = pe.sample(np.random.default_rng(7), 200_000)
    assert s.shape == (200_000, 2)
    assert s.min() >= 0.0 and s.max() <= 1.0
    t = np.linspace(0.0, 1.0, 601)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1).reshape(-1, 2)
    p = np.exp(pe.log_pdf(grid))
    p /= p.sum()
    mean = p @ grid
    second = p @ (grid * grid)
    np.testing.assert_allclose(s.mean(axis=0), mean, atol=0.005)
    np.testing.assert_allclose(s.var(axis=0), second - mean**2, rtol=0.03)
    # quadrant frequencies agree with the density's mass there
    q = grid[:, 0] < 0.5
    assert np.mean(s[:, 0] < 0.5) == pytest.approx(p[q].sum(), abs=0.005)
    del rng


def test_discrete_and_categorical_samples_match_their_masses() -> None:
    dims = [Dim(edges=np.linspace(0, 1, 4)), Dim(n_choices=3)]
    X = np.array([[1 / 6, 0.5], [0.5, 0.5], [5 / 6, np.nan]])
    pe = ParzenEstimator(X, dims)
    s = pe.sample(np.random.default_rng(3), 100_000)
    cells = np.array([[(b + 0.5) / 3, (c + 0.5) / 3] for b in range(3) for c in range(3)])
    probs = np.exp(pe.log_pdf(cells))
    assert probs.sum() == pytest.approx(1.0)
    freq = np.array([np.mean(np.all(np.isclose(s, cell), axis=1)) for cell in cells])
    assert freq.sum() == pytest.approx(1.0)  # every sample sits at a bin centre
    np.testing.assert_allclose(freq, probs, atol=0.006)


def test_log_ndtr_diff_is_accurate_in_the_centre_and_the_tails() -> None:
    a = np.array([-1.0, -8.0, 5.0, 20.0, -30.0, 0.0])
    b = np.array([1.0, -7.5, 5.5, 20.5, 30.0, 1e-3])
    with np.errstate(divide="ignore"):  # np.where computes both forms
        ref = np.where(
            a > 0,
            np.log(scipy.special.ndtr(-a) - scipy.special.ndtr(-b)),
            np.log(scipy.special.ndtr(b) - scipy.special.ndtr(a)),
        )
    np.testing.assert_allclose(log_ndtr_diff(a, b), ref, rtol=1e-5)


def test_bandwidth_rules() -> None:
    mus = np.array([0.1, 0.2, 0.6])
    # neighbour distances (0.1, 0.4, 0.4), the first raised to the magic clip 1 / (n + 2)
    np.testing.assert_allclose(bandwidths(mus, "hyperopt"), [0.2, 0.4, 0.4])
    np.testing.assert_allclose(bandwidths(mus, "optuna", n_dims=1), 0.2 * 3**-0.2)
    pts = np.array([0.1, 0.2, 0.5, 0.6])
    iqr = np.percentile(pts, 75) - np.percentile(pts, 25)
    scott = 1.059 * min(iqr / 1.34, pts.std(ddof=1)) * 4**-0.2
    np.testing.assert_allclose(bandwidths(mus, "scott"), scott)
    assert bandwidths(np.full(5, 0.5), "scott", min_bandwidth=0.05).min() == 0.05
    # columns are independent
    two = bandwidths(np.column_stack([mus, mus[::-1]]), "hyperopt")
    np.testing.assert_allclose(two[:, 1], bandwidths(mus[::-1], "hyperopt"))
    with pytest.raises(ValueError, match="bandwidth rule must be one of"):
        bandwidths(mus, "silverman")  # type: ignore[arg-type]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="prior_weight must be > 0"):
        ParzenEstimator(np.zeros((1, 1)), [Dim()], prior_weight=0.0)
    with pytest.raises(ValueError, match="weights must be 2 finite values"):
        ParzenEstimator(np.zeros((2, 1)), [Dim()], weights=np.array([1.0, -1.0]))


def test_no_observations_is_the_prior() -> None:
    pe = ParzenEstimator(np.empty((0, 2)), [Dim(), Dim(n_choices=2)])
    p = np.exp(pe.log_pdf(np.array([[0.5, 0.25]])))[0]
    assert p == pytest.approx(_trunc_pdf(0.5, 0.5, 1.0) * 0.5)


def test_posterior_weights_give_the_conditional_density() -> None:
    X = np.array([[0.2, 0.8], [0.8, 0.2]])
    pe = ParzenEstimator(X, [Dim(), Dim()], bandwidth="optuna")
    root = np.array([True, False])
    post = pe.posterior(np.array([0.2, np.nan]), root)
    assert np.exp(post).sum() == pytest.approx(1.0)
    assert post[0] > post[1]
    # p(x1 | x0) = p(x0, x1) / p(x0), and it integrates to one over x1
    t = np.linspace(0.0, 1.0, 20_001)
    pts = np.column_stack([np.full_like(t, 0.2), t])
    cond = np.exp(pe.log_pdf(pts, np.tile(~root, (len(t), 1)), log_weights=post))
    assert np.trapezoid(cond, t) == pytest.approx(1.0, abs=1e-6)
    joint = np.exp(pe.log_pdf(pts))
    marginal = np.exp(pe.log_pdf(pts[:1], np.array([root])))[0]
    np.testing.assert_allclose(cond, joint / marginal, rtol=1e-9)
    s = pe.sample(np.random.default_rng(0), 20_000, log_weights=post)
    assert np.mean(s[:, 1]) == pytest.approx(np.trapezoid(cond * t, t), abs=0.01)
