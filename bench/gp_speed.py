"""Time per trial of ``GPSampler`` (and Optuna's, when torch is installed); quality on the side.

Run (the numbers in the GP stack's report come from these commands):

    OMP_NUM_THREADS=1 python -m bench.gp_speed                  # 100-trial runs in 2, 4, 6, 8 dims
    OMP_NUM_THREADS=1 python -m bench.gp_speed --dims --long 1000  # one 1,000-trial run in 6 dims
    OMP_NUM_THREADS=1 python -m bench.gp_speed --optuna         # Optuna's GPSampler beside it
    OMP_NUM_THREADS=1 python -m bench.gp_speed --quality 5      # best values, 5 seeds per problem

Times are the sampler's share of ``ask`` + ``tell`` (the objective is not timed), per trial after
the quasi-random start-up trials, as wall-clock and CPU time (CPU time is the honest figure on a
shared machine). The speed runs minimise Styblinski-Tang in ``d`` dimensions.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tunesmith as ts
from tunesmith.samplers._gp import GPSampler

Sampler = Callable[[int], Any]


def styblinski_tang(params: dict[str, Any]) -> float:
    x = np.array(list(params.values()), dtype=float)
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def _space(d: int) -> dict[str, ts.Float]:
    return {f"x{i}": ts.Float(-5.0, 5.0) for i in range(d)}


def time_tunesmith(d: int, n: int, seed: int = 0) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds per trial for ``n`` trials of GPSampler in ``d`` dimensions."""
    study = ts.create_study(sampler=GPSampler(seed=seed))
    space = _space(d)
    wall, cpu = [], []
    for _ in range(n):
        w, c = time.perf_counter(), time.process_time()
        trial = study.ask(space)
        w1, c1 = time.perf_counter() - w, time.process_time() - c
        value = styblinski_tang(trial.params)
        w, c = time.perf_counter(), time.process_time()
        study.tell(trial, value)
        wall.append(w1 + time.perf_counter() - w)
        cpu.append(c1 + time.process_time() - c)
    return wall, cpu


def time_optuna(d: int, n: int, seed: int = 0) -> tuple[list[float], list[float]]:
    """The same for Optuna's GPSampler (needs optuna and torch)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    wall, cpu = [], []
    for _ in range(n):
        w, c = time.perf_counter(), time.process_time()
        trial = study.ask()
        params = {f"x{i}": trial.suggest_float(f"x{i}", -5.0, 5.0) for i in range(d)}
        w1, c1 = time.perf_counter() - w, time.process_time() - c
        value = styblinski_tang(params)
        w, c = time.perf_counter(), time.process_time()
        study.tell(trial, value)
        wall.append(w1 + time.perf_counter() - w)
        cpu.append(c1 + time.process_time() - c)
    return wall, cpu


def _ms(values: list[float]) -> str:
    return f"{1e3 * statistics.median(values):7.1f}"


def speed(dims: list[int], n: int, optuna: bool) -> None:
    print(f"Median ms per trial over trials 11-{n} (Styblinski-Tang, seed 0)\n")
    print("| dims | tunesmith wall | tunesmith CPU |" + (" optuna wall | optuna CPU |" * optuna))
    print("|---:|---:|---:|" + "---:|---:|" * optuna)
    for d in dims:
        wall, cpu = time_tunesmith(d, n)
        row = f"| {d} | {_ms(wall[10:])} | {_ms(cpu[10:])} |"
        if optuna:
            o_wall, o_cpu = time_optuna(d, n)
            row += f" {_ms(o_wall[10:])} | {_ms(o_cpu[10:])} |"
        print(row, flush=True)


def long_run(n: int) -> None:
    wall, cpu = time_tunesmith(6, n)
    print(f"\nOne {n}-trial run in 6 dims: ms per trial, per block of 100 trials\n")
    print("| trials | median wall | median CPU | mean CPU | max CPU |")
    print("|---|---:|---:|---:|---:|")
    for start in range(0, n, 100):
        w, c = wall[start : start + 100], cpu[start : start + 100]
        print(
            f"| {start + 1}-{start + len(c)} | {_ms(w)} | {_ms(c)} | "
            f"{1e3 * statistics.mean(c):7.1f} | {1e3 * max(c):7.1f} |",
            flush=True,
        )


def quality(seeds: int, optuna: bool) -> None:
    from bench.bo.problems import PROBLEMS

    samplers: dict[str, Sampler] = {
        "random": lambda s: ts.samplers.RandomSampler(seed=s),
        "gp": lambda s: GPSampler(seed=s),
    }
    names = [name for name, p in PROBLEMS.items() if p.family != "ml"]
    print(f"\nMean best value over {seeds} seeds at each problem's budget\n")
    head = ["gp", "random"] + ["optuna-gp"] * optuna
    print("| problem | budget | optimum | " + " | ".join(head) + " |")
    print("|---|---:|---:|" + "---:|" * len(head))
    for name in names:
        problem = PROBLEMS[name]
        means = []
        for label in head:
            bests = []
            for seed in range(seeds):
                if label == "optuna-gp":
                    bests.append(_optuna_best(problem, seed))
                    continue
                study = ts.create_study(sampler=samplers[label](seed))
                for _ in range(problem.budget):
                    trial = study.ask(problem.space)
                    study.tell(trial, problem.objective(trial.params))
                bests.append(study.best_value)
            means.append(statistics.mean(bests))
        optimum = problem.optimum if problem.optimum is not None else math.nan
        cells = " | ".join(f"{m:.4g}" for m in means)
        print(f"| {name} | {problem.budget} | {optimum:.4g} | {cells} |", flush=True)


def _optuna_best(problem: Any, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
    space = problem.space
    for _ in range(problem.budget):
        trial = study.ask()
        params = {n: trial.suggest_float(n, d.low, d.high) for n, d in space.items()}
        study.tell(trial, problem.objective(params))
    return float(study.best_value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="*", default=[2, 4, 6, 8])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--long", type=int, default=0, help="also one run of this many trials")
    parser.add_argument("--optuna", action="store_true", help="also Optuna's GPSampler")
    parser.add_argument("--quality", type=int, default=0, help="seeds of a quality comparison")
    args = parser.parse_args(argv)
    if args.dims and args.trials:
        speed(args.dims, args.trials, args.optuna)
    if args.long:
        long_run(args.long)
    if args.quality:
        quality(args.quality, args.optuna)


if __name__ == "__main__":
    main()
