"""The pruning benchmark's helpers: pruners by name, the summary arithmetic, a tiny real run."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("sklearn")  # the learners of the bench are scikit-learn's

from bench.pruning import (
    PRUNERS,
    make_pruner,
    make_sampler,
    nop_best_within,
    run_one,
    summarize,
    table,
)

import tunesmith as ts


def _record(
    pruner: str, seed: int, epochs: int, best: float, trials: list[list[Any]]
) -> dict[str, Any]:
    return {
        "learner": "sgd",
        "sampler": "random",
        "pruner": pruner,
        "seed": seed,
        "n_trials": len(trials),
        "max_epochs": 3,
        "epochs": epochs,
        "n_complete": sum(t[0] == "COMPLETE" for t in trials),
        "n_pruned": sum(t[0] == "PRUNED" for t in trials),
        "best": best,
        "wall_time": 1.0,
        "trials": trials,
    }


def test_pruners_by_name() -> None:
    assert [type(make_pruner(name, 30)).__name__ for name in PRUNERS] == [
        "NopPruner",
        "MedianPruner",
        "SuccessiveHalvingPruner",
        "HyperbandPruner",
    ]
    assert isinstance(make_sampler("random", 0), ts.samplers.RandomSampler)
    with pytest.raises(ValueError, match="must be one of"):
        make_pruner("patient", 30)


def test_nop_best_within() -> None:
    trials = [["COMPLETE", 3, 0.5], ["COMPLETE", 3, 0.9], ["COMPLETE", 3, 0.7]]
    assert nop_best_within(trials, 2) is None  # not even the first trial fits
    assert nop_best_within(trials, 5) == 0.5
    assert nop_best_within(trials, 6) == 0.9
    assert nop_best_within(trials, 100) == 0.9


def test_summarize_pairs_seeds_with_nop() -> None:
    full = [["COMPLETE", 3, 0.5], ["COMPLETE", 3, 0.9], ["COMPLETE", 3, 0.7]]
    records = [
        _record("nop", 0, 9, 0.9, full),
        _record("nop", 1, 9, 0.8, full),
        _record("asha", 0, 3, 0.9, [["COMPLETE", 1, 0.5], ["PRUNED", 1, 0.1], ["PRUNED", 1, 0.2]]),
        _record("asha", 1, 6, 0.7, [["COMPLETE", 3, 0.7], ["PRUNED", 1, 0.1], ["PRUNED", 2, 0.2]]),
        _record("median", 0, 9, 0.5, full),  # a stale record of the same key ...
        _record("median", 0, 6, 0.9, full),  # ... is replaced by the latest
    ]
    rows = {r.pruner: r for r in summarize(records)}
    assert list(rows) == ["nop", "median", "asha"]  # in PRUNERS order
    asha = rows["asha"]
    assert asha.n_seeds == 2
    assert asha.epochs == 4.5
    assert asha.relative == pytest.approx((3 / 9 + 6 / 9) / 2)
    assert asha.best == [0.9, 0.7]
    assert asha.nop_same_epochs == [0.5, 0.9]  # nop's first 1 and 2 trials
    assert (asha.n_complete, asha.n_pruned) == (1.0, 2.0)
    assert rows["median"].best == [0.9]
    text = table(list(rows.values()))
    assert "| asha | 4 | 50% | 1.0 / 2.0 | 0.8000 ± 0.1414 | 0.7000 ± 0.2828 | 1.0 |" in text


def test_a_tiny_run_isolates_the_pruner() -> None:
    nop = run_one("sgd", "random", "nop", 0, n_trials=6, epochs=3)
    asha = run_one("sgd", "random", "asha", 0, n_trials=6, epochs=3)
    assert nop["epochs"] == 18 and nop["n_complete"] == 6
    assert asha["n_pruned"] >= 1 and asha["epochs"] < 18
    assert asha["epochs"] == sum(t[1] for t in asha["trials"])
    # Trial n has the same configuration and learner seed under both pruners: a trial that
    # ran to the end scores the same.
    for (state, epochs, value), (_, _, reference) in zip(
        asha["trials"], nop["trials"], strict=True
    ):
        if state == "COMPLETE":
            assert epochs == 3 and value == reference
    assert 0.5 < nop["best"] <= 1.0
