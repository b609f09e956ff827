"""The search-CV benchmark's helpers: one space for every tool, the halving budget, the fit
tally, the summary arithmetic, and a tiny real run whose tally agrees with the tools' records."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

pytest.importorskip("sklearn")  # the tasks are scikit-learn's

from bench.search_cv import (
    REFERENCE,
    TALLY,
    TASKS,
    TOOLS,
    CountingForest,
    CountingSGD,
    Param,
    applies,
    grid_size,
    halving_candidates,
    halving_evaluations,
    mean_std,
    missing,
    run_one,
    summarize,
    table,
)

import tunesmith as ts


@pytest.mark.parametrize("task", TASKS.values(), ids=lambda t: t.name)
def test_every_tool_sees_the_same_space(task: Any) -> None:
    assert grid_size(task.space) == 30
    space = ts.Space({p.name: p.tunesmith() for p in task.space})
    rng = np.random.RandomState(0)
    for p in task.space:
        grid = p.grid()
        if p.choices:
            assert grid == list(p.choices) == p.scipy()
            continue
        assert grid[0] == pytest.approx(p.low) and grid[-1] == pytest.approx(p.high)
        assert len(grid) == p.n_grid
        draws = np.asarray(p.scipy().rvs(size=500, random_state=rng))
        assert draws.min() >= p.low and draws.max() <= p.high
        assert (draws == np.round(draws)).all() if p.integer else len(set(draws)) == 500
        assert all(p.low <= value <= p.high for value in grid)
    names = [p.name for p in task.space]
    for values in itertools.product(*(p.grid() for p in task.space)):
        space.validate(dict(zip(names, values, strict=True)))  # the grid is in tunesmith's space
    optuna = pytest.importorskip("optuna")
    for p in task.space:
        assert isinstance(p.optuna(), optuna.distributions.BaseDistribution)


def test_param_checks() -> None:
    assert Param("x", 1e-3, 1e3, log=True, n_grid=7).grid() == pytest.approx(
        [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]
    )
    assert Param("n", 1, 20, integer=True, n_grid=3).grid() == [1, 10, 20]
    with pytest.raises(ValueError, match="low < high"):
        Param("x", 2.0, 1.0, n_grid=3)
    with pytest.raises(ValueError, match="Log-scaled integers"):
        Param("n", 1, 64, log=True, integer=True, n_grid=3)


def test_halving_budget() -> None:
    assert [halving_evaluations(n) for n in (1, 2, 3, 8, 9, 20, 21, 27)] == [
        1,
        2,
        4,
        11,
        13,
        30,
        31,
        40,
    ]
    assert halving_candidates(30) == 20
    assert halving_candidates(6) == 4  # 4, then 2
    for budget in range(1, 60):
        n = halving_candidates(budget)
        assert halving_evaluations(n) <= budget < halving_evaluations(n + 1)


def test_tally_splits_the_refit_from_the_search() -> None:
    X = np.random.RandomState(0).rand(100, 4)
    y = np.arange(100) % 2
    TALLY.start(100, folds=5)
    model = CountingSGD(max_iter=4, tol=None, random_state=0)
    model.fit(X[:80], y[:80])  # a full fit on a training fold
    other = CountingSGD(max_iter=4, tol=None, random_state=0)
    for _ in range(2):  # half a fit, epoch by epoch, on another model
        other.partial_fit(X[:80], y[:80], classes=[0, 1])
    model.fit(X, y)  # the refit
    assert TALLY.fits == 2
    assert TALLY.work == pytest.approx(1.0 + 2 / 4)
    assert TALLY.refit_work == pytest.approx(1.0)

    TALLY.start(100, folds=5)
    forest = CountingForest(n_estimators=10, warm_start=True, random_state=0)
    forest.fit(X[:40], y[:40])  # 10 of 50 trees on half a fold
    forest.set_params(n_estimators=30).fit(X[:40], y[:40])  # 20 more, the same model
    assert TALLY.fits == 1
    assert TALLY.work == pytest.approx(30 / 50 * 40 / 80)


def _record(tool: str, seed: int, test: float, cpu: float) -> dict[str, Any]:
    return {
        "task": "svc-digits",
        "tool": tool,
        "seed": seed,
        "n_candidates": 30,
        "folds": 5,
        "configs": 30,
        "n_pruned": 4 if tool == REFERENCE else 0,
        "fits": 150,
        "fit_equivalents": 150.0,
        "best_cv": 0.98,
        "test": test,
        "wall_time": 2 * cpu,
        "cpu_time": cpu,
    }


def test_summary_pairs_seeds_with_the_reference() -> None:
    records = [
        _record(REFERENCE, 0, 0.97, 10.0),
        _record(REFERENCE, 1, 0.99, 10.0),
        _record("grid", 0, 0.98, 30.0),
        _record("grid", 1, 0.98, 10.0),
        _record("grid", 2, 0.50, 99.0),  # no reference on seed 2: not paired
        _record("random", 0, 0.00, 1.0),  # replaced by the later record of its key
        _record("random", 0, 0.96, 5.0),
    ]
    rows = {r.tool: r for r in summarize(records)}
    assert [r.tool for r in summarize(records)] == ["grid", "random", REFERENCE]
    assert rows["grid"].delta_test == pytest.approx([0.01, -0.01])
    assert rows["grid"].cpu_ratio == pytest.approx(2.0)
    assert rows["random"].test == [0.96] and rows["random"].cpu_ratio == pytest.approx(0.5)
    text = table(list(rows.values()))
    assert "#### svc-digits: 30 configurations x 5 folds (1/2/3 seeds)" in text
    assert f"| {REFERENCE} | 30 (4.0) | 150 | 150 | 0.9800 | 0.9800 ± 0.0141 | - |" in text


def test_mean_std() -> None:
    assert mean_std([]) == "-"
    assert mean_std([150, 150], 0) == "150"
    assert mean_std([0.5, 0.7]) == "0.6000 ± 0.1414"
    assert mean_std([0.01], sign=True) == "+0.0100"


def test_optional_rows() -> None:
    assert set(TOOLS) >= {"grid", "random", "halving", "optuna", REFERENCE}
    assert not applies(TASKS["svc-digits"], "tunesmith-es")
    assert applies(TASKS["sgd-digits"], "optuna-es") and applies(TASKS["sgd-digits"], "grid")
    assert not applies(TASKS["forest-cancer"], "optuna-es")


@pytest.mark.parametrize("tool", ["random", "halving", "optuna-es", "tunesmith", "tunesmith-es"])
def test_tiny_run(tool: str, capsys: pytest.CaptureFixture[str]) -> None:
    if missing(tool):
        pytest.skip(str(missing(tool)))
    record = run_one("sgd-digits", tool, 0, n_candidates=4, folds=2)
    assert "the tool reports" not in capsys.readouterr().err  # the tally agrees
    assert record["fits"] == record["reported_fits"] > 0
    assert record["fit_equivalents"] == pytest.approx(record["reported_equivalents"], rel=0.01)
    assert record["refit_equivalents"] > 0
    assert 0.5 < record["best_cv"] <= 1 and 0.5 < record["test"] <= 1
    assert record["configs"] == (3 if tool == "halving" else 4)
