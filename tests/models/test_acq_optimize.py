"""The acquisition optimiser: bounds, grids, categoricals, and known maxima."""

from __future__ import annotations

import numpy as np
import pytest

from tunesmith.models.acq_optimize import AcquisitionObjective, optimize_acquisition


def quadratic(target: np.ndarray, weights: np.ndarray | None = None) -> AcquisitionObjective:
    w = np.ones_like(target) if weights is None else weights

    def fun(U: np.ndarray, grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        diff = U - target
        return -(w * diff**2).sum(1), (-2 * w * diff if grad else None)

    return fun


@pytest.mark.parametrize("seed", range(3))
def test_finds_the_maximum_of_a_continuous_function(seed: int) -> None:
    target = np.array([0.13, 0.71, 0.42, 0.9])
    x, value = optimize_acquisition(quadratic(target), 4, rng=np.random.default_rng(seed))
    np.testing.assert_allclose(x, target, atol=1e-4)
    assert value == pytest.approx(0.0, abs=1e-7)


def test_respects_the_bounds_when_the_maximum_lies_outside() -> None:
    x, _ = optimize_acquisition(
        quadratic(np.array([1.4, -0.3, 0.5])), 3, rng=np.random.default_rng(0)
    )
    np.testing.assert_allclose(x, [1.0, 0.0, 0.5], atol=1e-6)


def test_discrete_dimensions_stay_on_their_grids() -> None:
    seen: list[np.ndarray] = []
    grid = np.array([0.05, 0.2, 0.6, 0.61, 0.99])  # uneven, like a log-scaled integer
    target = quadratic(np.array([0.33, 0.58, 0.3, 0.7]))

    def fun(U: np.ndarray, grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        seen.append(U.copy())
        return target(U, grad)

    x, _ = optimize_acquisition(
        fun, 4, grids=[None, grid, 7, 3], categorical=[False, False, False, True],
        rng=np.random.default_rng(1),
    )  # fmt: skip
    every = np.vstack(seen)
    assert np.isin(every[:, 1], grid).all()
    assert np.isin(every[:, 2], (np.arange(7) + 0.5) / 7).all()
    assert np.isin(every[:, 3], (np.arange(3) + 0.5) / 3).all()
    assert np.all((every >= 0) & (every <= 1))
    assert x[0] == pytest.approx(0.33, abs=1e-4)
    assert x[1] == 0.6  # the nearest grid value to 0.58
    assert x[2] == pytest.approx(2.5 / 7)  # bin centres 0.357 vs 0.214: the nearest to 0.3
    assert x[3] == pytest.approx(2.5 / 3)  # 0.833 is the closest of 1/6, 1/2, 5/6 to 0.7


def test_a_fine_integer_grid_is_searched_to_the_best_step() -> None:
    k = 300
    target = np.array([(137 + 0.5) / k, (12 + 0.5) / k])

    # A tilted plateau: no gradient to follow, only neighbour moves by 1, 2, 4, ... steps.
    def fun(U: np.ndarray, grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        return -np.abs(U - target).sum(1), (np.zeros_like(U) if grad else None)

    x, _ = optimize_acquisition(fun, 2, grids=[k, k], rng=np.random.default_rng(0))
    np.testing.assert_allclose(x, target)


@pytest.mark.parametrize("n_cat", [2, 6])
def test_categoricals_by_enumeration_or_local_search(n_cat: int) -> None:
    # One good category per dimension; the continuous optimum depends on the first categorical.
    rng = np.random.default_rng(3)
    k = 5
    best = rng.integers(0, k, n_cat)
    centres = (np.arange(k) + 0.5) / k

    def fun(U: np.ndarray, grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        hits = np.isclose(U[:, 1:], centres[best]).sum(1)
        shift = np.where(np.isclose(U[:, 1], centres[best[0]]), 0.8, 0.2)
        diff = U[:, 0] - shift
        g = np.zeros_like(U)
        g[:, 0] = -2 * diff
        return hits - diff**2, (g if grad else None)

    x, value = optimize_acquisition(
        fun, 1 + n_cat, grids=[None] + [k] * n_cat, categorical=[False] + [True] * n_cat,
        rng=np.random.default_rng(0), n_candidates=64,
    )  # fmt: skip
    np.testing.assert_allclose(x[1:], centres[best])
    assert x[0] == pytest.approx(0.8, abs=1e-4)
    assert value == pytest.approx(n_cat, abs=1e-6)


def test_anchors_find_a_narrow_peak_that_random_points_miss() -> None:
    peak = np.array([0.3, 0.6, 0.2, 0.8, 0.5, 0.4])

    def fun(U: np.ndarray, grad: bool) -> tuple[np.ndarray, np.ndarray | None]:
        diff = U - peak
        v = np.exp(-(diff**2).sum(1) / (2 * 0.01**2))
        return v, (-v[:, None] * diff / 0.01**2 if grad else None)

    x, value = optimize_acquisition(
        fun, 6, rng=np.random.default_rng(0), anchors=(peak + 0.015)[None, :]
    )
    np.testing.assert_allclose(x, peak, atol=1e-3)
    assert value > 0.99


def test_nan_anchors_are_accepted() -> None:
    x, _ = optimize_acquisition(
        quadratic(np.array([0.2, 0.7])), 2, rng=np.random.default_rng(0),
        anchors=np.array([[np.nan, 0.5]]),
    )  # fmt: skip
    np.testing.assert_allclose(x, [0.2, 0.7], atol=1e-4)


def test_same_rng_seed_same_result() -> None:
    fun = quadratic(np.array([0.2, 0.7, 0.1]))
    a = optimize_acquisition(fun, 3, grids=[None, 5, None], rng=np.random.default_rng(9))
    b = optimize_acquisition(fun, 3, grids=[None, 5, None], rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a[0], b[0])


@pytest.mark.parametrize(
    ("grids", "match"),
    [
        ([None], "one entry per dimension"),
        ([0, None], ">= 1 bins"),
        ([[0.5, 1.5], None], r"\[0, 1\]"),
    ],
)
def test_bad_grids_are_refused(grids: list[object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        optimize_acquisition(quadratic(np.zeros(2)), 2, grids=grids, rng=np.random.default_rng(0))
