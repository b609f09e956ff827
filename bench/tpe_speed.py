"""Time per trial of tunesmith's TPE and Optuna's, side by side, on the 6-D Hartmann function.

Run (Optuna rows need ``pip install optuna``):

    OMP_NUM_THREADS=1 python -m bench.tpe_speed --trials 200 5000

For each size ``N`` it times two things, define-by-run, in-memory storage, objective negligible:

* ``run``: a whole study of ``N`` trials from scratch, milliseconds per trial on average (only
  for ``N <= --max-run``: Optuna needs minutes for 5,000);
* ``at N``: the cost of one more trial once the study holds ``N``: ``N - K - 1`` uniformly
  random finished trials are imported, one TPE trial runs untimed (tunesmith's sampler encodes
  the imported trials once), then ``K`` (``--tail``) TPE trials are timed.

It prints a Markdown table.
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tunesmith as ts
from bench.bo.problems import PROBLEMS
from tunesmith.samplers import TPESampler

_HARTMANN6 = PROBLEMS["hartmann-6"].function
NAMES = [f"x{i}" for i in range(6)]


def hartmann6(x: np.ndarray) -> float:
    """The 6-D Hartmann function on ``[0, 1]^6`` (minimum -3.32237), as in the BO suite."""
    assert _HARTMANN6 is not None
    return float(_HARTMANN6(x))


def _random_points(n: int) -> tuple[np.ndarray, list[float]]:
    X = np.random.default_rng(1).random((n, 6))
    return X, [hartmann6(x) for x in X]


def time_tunesmith(n_prefill: int, n_timed: int) -> float:
    """Milliseconds per trial over ``n_timed`` TPE trials after ``n_prefill`` random ones."""
    study = ts.create_study(sampler=TPESampler(seed=0))
    dists = {n: ts.Float(0.0, 1.0) for n in NAMES}
    X, y = _random_points(n_prefill)
    study.add_trials(
        ts.create_trial(
            params=dict(zip(NAMES, map(float, x), strict=True)), distributions=dists, value=v
        )
        for x, v in zip(X, y, strict=True)
    )

    def objective(trial: ts.Trial) -> float:
        return hartmann6(np.array([trial.suggest_float(n, 0.0, 1.0) for n in NAMES]))

    if n_prefill:  # the first trial after an import encodes all imported trials once
        study.optimize(objective, n_trials=1)
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_timed)
    return (time.perf_counter() - start) / n_timed * 1e3


def time_optuna(n_prefill: int, n_timed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    dists: dict[str, Any] = {n: optuna.distributions.FloatDistribution(0.0, 1.0) for n in NAMES}
    X, y = _random_points(n_prefill)
    study.add_trials(
        [
            optuna.trial.create_trial(
                params=dict(zip(NAMES, map(float, x), strict=True)), distributions=dists, value=v
            )
            for x, v in zip(X, y, strict=True)
        ]
    )

    def objective(trial: Any) -> float:
        return hartmann6(np.array([trial.suggest_float(n, 0.0, 1.0) for n in NAMES]))

    if n_prefill:
        study.optimize(objective, n_trials=1)
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_timed)
    return (time.perf_counter() - start) / n_timed * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[200, 5000])
    parser.add_argument("--tail", type=int, default=50, help="trials timed at each size")
    parser.add_argument("--max-run", type=int, default=1000, help="largest whole run timed")
    parser.add_argument("--no-optuna", action="store_true")
    args = parser.parse_args()
    logging.getLogger("tunesmith").setLevel(logging.ERROR)
    tools: dict[str, Callable[[int, int], float]] = {"tunesmith TPE": time_tunesmith}
    if not args.no_optuna:
        try:
            import optuna

            tools[f"Optuna {optuna.__version__} TPE"] = time_optuna
        except ImportError:
            print("(optuna is not installed: its rows are skipped)")
    rows = []
    for n in args.trials:
        for tool, timer in tools.items():
            run = timer(0, n) if n <= args.max_run else float("nan")
            tail = min(args.tail, n - 1)
            at = timer(n - tail - 1, tail)
            rows.append((n, tool, run, at))
            print(
                f"{n:6d} {tool:22s} run {run:8.3f} ms/trial   at N {at:8.3f} ms/trial", flush=True
            )
    print("\n| trials N | sampler | ms per trial, whole run of N | ms per trial at N |")
    print("|---:|---|---:|---:|")
    for n, tool, run, at in rows:
        whole = "-" if math.isnan(run) else f"{run:.2f}"
        print(f"| {n:,} | {tool} | {whole} | {at:.2f} |")


if __name__ == "__main__":
    main()
