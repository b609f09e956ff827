"""Output warping and standardisation of the targets (``tunesmith.models.output_warping``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from tunesmith.models.output_warping import standardisation, warp_outputs


def test_standardisation_of_huge_values_does_not_overflow() -> None:
    mean, std = standardisation(np.array([1.7e308, -1.7e308, 0.0]))
    assert math.isfinite(mean) and math.isfinite(std) and std > 0


@pytest.mark.parametrize("method", ["power", "copula", "none"])
def test_warping_is_increasing_and_tames_outliers(method: str) -> None:
    rng = np.random.default_rng(0)
    y = np.concatenate([rng.random(20), [1e3, 1e6]])
    w = warp_outputs(y, method)  # type: ignore[arg-type]
    order = np.argsort(y)
    assert np.all(np.diff(w[order]) > 0)
    if method != "none":
        # The largest outlier no longer dwarfs the spread of the other values.
        assert (w.max() - np.median(w)) < 10 * np.std(w[:20])


def test_power_warping_matches_scipy_yeo_johnson() -> None:
    y = np.exp(np.random.default_rng(2).standard_normal(40))
    q1, q3 = np.percentile(y, [25, 75])
    expected = scipy.stats.yeojohnson((y - np.median(y)) / ((q3 - q1) / 1.349))[0]
    expected = (expected - expected.mean()) / expected.std()
    np.testing.assert_allclose(warp_outputs(y, "power"), expected, atol=0.02)


def test_unknown_warping_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'box-cox'.*'power'"):
        warp_outputs(np.arange(5.0), "box-cox")  # type: ignore[arg-type]
