"""Run the Bayesian-optimization benchmarks: every (problem, optimizer, seed), resumable.

Run (the competitors' 425 runs took an hour with ``--jobs 2`` on 2 shared cores, 90% of it in
scikit-optimize, SMAC and Optuna's GP; ``python -m bench.bo.report`` prints the tables):

    python -m bench.bo.run --optimizers random tpe gp forest auto optuna-tpe optuna-gp hyperopt \
        skopt smac --seeds 3 --random-seeds 10 --out bench/results/bo.jsonl --jobs 2

Each optimizer gets seeds ``0 .. --seeds - 1``, random search ``0 .. --random-seeds - 1`` (it is
the reference of the normalised score). Optimizers that are not installed (or tunesmith samplers
not written yet) are skipped with a note. ``--problems`` takes problem names or families
(``synthetic-2-3d``, ``synthetic-4-8d``, ``ml``); ``--budget`` overrides every problem's budget.

Each run appends one JSON line to ``--out``: ``problem``, ``family``, ``optimum`` (``null`` when
unknown), ``n_dims``, ``optimizer``, ``seed``, ``budget``, ``values`` (every evaluation),
``curve`` (best so far), ``best``, ``optimizer_time`` (seconds in the optimizer: the whole run
less the objective), ``trial_times`` (the optimizer's seconds before each evaluation: the
previous tell and this ask; the last one also holds the final tell), ``objective_time``,
``wall_time``, ``versions`` (with tunesmith's commit), ``date``. Runs already in the file are
skipped, so an interrupted run resumes where it stopped; after changing a sampler, delete its
lines to run it again.
"""

from __future__ import annotations

import os

# One thread per process for every BLAS / OpenMP pool: set before numpy is imported, and
# inherited by the worker processes.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import json
import logging
import multiprocessing
import platform
import sys
import time
import warnings
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

import tunesmith as ts
from bench._records import read_records, tunesmith_commit

from .optimizers import OPTIMIZERS, missing
from .problems import FAMILIES, PROBLEMS, Problem

Task = tuple[str, str, int, int]  # problem, optimizer, seed, budget


class _Clock:
    """The objective as the optimizers see it: checks, evaluates and times every call."""

    def __init__(self, problem: Problem, budget: int) -> None:
        self.problem = problem
        self.space = ts.as_space(problem.space)
        self.budget = budget
        self.values: list[float] = []
        self.gaps: list[float] = []  # optimizer seconds before each evaluation
        self.objective_time = 0.0
        self.mark = time.perf_counter()

    def __call__(self, params: dict[str, Any]) -> float:
        start = time.perf_counter()
        self.gaps.append(start - self.mark)
        if len(self.values) == self.budget:
            raise RuntimeError(f"The optimizer asked for more than {self.budget} evaluations.")
        self.space.validate(params)  # catches a wrong translation of the space
        value = float(self.problem.objective(params))
        self.values.append(value)
        self.mark = time.perf_counter()
        self.objective_time += self.mark - start
        return value

    def stop(self) -> None:
        self.gaps[-1] += time.perf_counter() - self.mark


def run_one(problem_name: str, optimizer_name: str, seed: int, budget: int) -> dict[str, Any]:
    """One run, as the JSON record ``main`` appends."""
    warnings.simplefilter("ignore")  # convergence and experimental-feature chatter
    logging.disable(logging.WARNING)
    problem, optimizer = PROBLEMS[problem_name], OPTIMIZERS[optimizer_name]
    reason = missing(optimizer_name)  # imports its modules before the clock starts
    if reason:
        raise RuntimeError(reason)
    clock = _Clock(problem, budget)
    start = clock.mark = time.perf_counter()
    optimizer.run(problem, seed, budget, clock)
    clock.stop()
    wall = time.perf_counter() - start
    if len(clock.values) != budget:
        raise RuntimeError(f"{len(clock.values)} evaluations instead of {budget}.")
    return {
        "problem": problem.name,
        "family": problem.family,
        "optimum": problem.optimum,
        "n_dims": clock.space.n_dims,
        "optimizer": optimizer_name,
        "seed": seed,
        "budget": budget,
        "values": clock.values,
        "curve": np.minimum.accumulate(clock.values).tolist(),
        "best": min(clock.values),
        "optimizer_time": sum(clock.gaps),
        "trial_times": clock.gaps,
        "objective_time": clock.objective_time,
        "wall_time": wall,
        "versions": {
            optimizer_name: optimizer.version(),
            "tunesmith": f"{ts.__version__} ({tunesmith_commit()})",
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _done(path: Path) -> set[Task]:
    records = read_records(path, missing_ok=True)
    return {(r["problem"], r["optimizer"], r["seed"], r["budget"]) for r in records}


def _select(names: list[str] | None) -> list[Problem]:
    if not names:
        return list(PROBLEMS.values())
    unknown = [n for n in names if n not in PROBLEMS and n not in FAMILIES]
    if unknown:
        raise SystemExit(f"Unknown problem(s) {unknown}; known: {list(PROBLEMS)}, {list(FAMILIES)}")
    return [p for p in PROBLEMS.values() if p.name in names or p.family in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizers", nargs="+", default=["random"], choices=list(OPTIMIZERS))
    parser.add_argument("--problems", nargs="+", help="problem names or families (default: all)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per optimizer")
    parser.add_argument("--random-seeds", type=int, default=10, help="seeds of random search")
    parser.add_argument("--budget", type=int, help="evaluations per run, for every problem")
    parser.add_argument("--out", type=Path, default=Path("bench/results/bo.jsonl"))
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel processes")
    args = parser.parse_args()

    optimizers = []
    for name in dict.fromkeys(args.optimizers):
        reason = missing(name)
        if reason:
            print(f"(skipping {name}: {reason})", flush=True)
        else:
            optimizers.append(name)
    done = _done(args.out)
    tasks: list[Task] = [
        (p.name, o, seed, args.budget or p.budget)
        for p in _select(args.problems)
        for o in optimizers
        for seed in range(args.random_seeds if o == "random" else args.seeds)
    ]
    todo = [t for t in tasks if t not in done]
    print(f"{len(todo)} runs to do ({len(tasks) - len(todo)} already in {args.out})", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)

    start, failed = time.perf_counter(), 0

    def record(k: int, task: Task, future: Future[dict[str, Any]]) -> None:
        nonlocal failed
        label = f"[{k}/{len(todo)} {time.perf_counter() - start:7.0f}s] {' '.join(map(str, task))}"
        exc = future.exception()
        if exc is not None:
            failed += 1
            print(f"{label}: FAILED {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            return
        rec = future.result()
        with args.out.open("a") as fh:
            fh.write(json.dumps(rec) + "\n")
        ms = 1e3 * rec["optimizer_time"] / rec["budget"]
        print(f"{label}: best {rec['best']:.6g}, {ms:.1f} ms/trial", flush=True)

    if args.jobs == 1:
        for k, task in enumerate(todo, 1):
            future: Future[dict[str, Any]] = Future()
            try:
                future.set_result(run_one(*task))
            except Exception as exc:  # reported like a worker's failure
                future.set_exception(exc)
            record(k, task, future)
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
            futures = {pool.submit(run_one, *task): task for task in todo}
            for k, future in enumerate(as_completed(futures), 1):
                record(k, futures[future], future)
    minutes = (time.perf_counter() - start) / 60
    print(f"done in {minutes:.1f} min; {failed} failed" if failed else f"done in {minutes:.1f} min")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
