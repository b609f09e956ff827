"""Quasi-random search: stratification of Sobol' points, coverage, one point per trial number."""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
import pytest
from scipy.stats import qmc

import tunesmith as ts
from tunesmith.samplers import QMCSampler, RandomSampler

Kind = Literal["sobol", "halton"]
UNIT_SQUARE = {"x": ts.Float(0.0, 1.0), "y": ts.Float(0.0, 1.0)}


def points(sampler: ts.samplers.BaseSampler, space: dict[str, ts.Float], n: int) -> np.ndarray:
    study = ts.create_study(sampler=sampler)
    trials = study.ask(space, n=n)
    return np.array([[t.params[name] for name in space] for t in trials])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 3, 6])
def test_first_power_of_two_sobol_points_are_stratified_in_1d(seed: int, k: int) -> None:
    n = 2**k
    x = points(QMCSampler(seed=seed), {"x": ts.Float(0.0, 1.0)}, n)[:, 0]
    assert sorted(int(v * n) for v in x) == list(range(n))  # one point in each of n bins


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [2, 4, 6])
def test_first_power_of_two_sobol_points_are_stratified_in_2d(seed: int, k: int) -> None:
    n = 2**k
    xy = points(QMCSampler(seed=seed), UNIT_SQUARE, n)
    for column in xy.T:
        assert sorted(int(v * n) for v in column) == list(range(n))
    # A (0, k, 2)-net: with an even k, each of the 2^(k/2) x 2^(k/2) squares holds one point.
    side = 2 ** (k // 2)
    cells = sorted((int(a * side), int(b * side)) for a, b in xy)
    assert cells == sorted(itertools.product(range(side), repeat=2))


def test_stratification_carries_over_to_discrete_parameters() -> None:
    study = ts.create_study(sampler=QMCSampler(seed=1))
    trials = study.ask({"a": ts.Int(0, 3), "b": ts.Categorical(["p", "q", "r", "s"])}, n=16)
    pairs = sorted((t.params["a"], t.params["b"]) for t in trials)
    assert pairs == sorted(itertools.product(range(4), "pqrs"))


@pytest.mark.parametrize("kind", ["halton", "sobol"])
@pytest.mark.parametrize("seed", range(4))
def test_qmc_covers_the_square_better_than_random(kind: Kind, seed: int) -> None:
    n = 64
    quasi = qmc.discrepancy(points(QMCSampler(seed=seed, kind=kind), UNIT_SQUARE, n))
    rand = qmc.discrepancy(points(RandomSampler(seed=seed), UNIT_SQUARE, n))
    assert quasi < 0.5 * rand


def test_invalid_kind_is_refused_with_the_allowed_kinds() -> None:
    with pytest.raises(ValueError) as info:
        QMCSampler(kind="lhs")  # type: ignore[arg-type]
    message = str(info.value)
    for fragment in ("kind", "'lhs'", "'sobol'", "'halton'"):
        assert fragment in message


@pytest.mark.parametrize("kind", ["sobol", "halton"])
def test_trial_n_takes_point_n_so_workers_never_share_a_point(kind: Kind) -> None:
    single = points(QMCSampler(seed=4, kind=kind), UNIT_SQUARE, 12)
    storage = ts.storages.InMemoryStorage()
    a = ts.create_study(study_name="q", storage=storage, sampler=QMCSampler(seed=4, kind=kind))
    b = ts.load_study("q", storage=storage, sampler=QMCSampler(seed=4, kind=kind))
    for i in range(6):
        worker = a if i % 2 else b
        for t in worker.ask(UNIT_SQUARE, n=2):
            worker.tell(t, 0.0)
    trials = a.trials
    assert [t.number for t in trials] == list(range(12))
    together = np.array([[t.params["x"], t.params["y"]] for t in trials])
    np.testing.assert_array_equal(together, single)
    assert len({tuple(p) for p in together}) == 12


def test_qmc_spaces_of_several_dimensions_keep_their_own_sequences() -> None:
    study = ts.create_study(sampler=QMCSampler(seed=0))
    one = [study.ask({"x": ts.Float(0, 1)}).params["x"] for _ in range(4)]
    two = [study.ask(UNIT_SQUARE).params["x"] for _ in range(4)]
    # Trials 0-3 use the 1-D sequence, trials 4-7 points 4-7 of the 2-D one.
    assert one == list(points(QMCSampler(seed=0), {"x": ts.Float(0, 1)}, 4)[:, 0])
    assert two == list(points(QMCSampler(seed=0), UNIT_SQUARE, 8)[4:, 0])
