"""GPSampler with and without input warping: the BO suite's scores and the time per trial.

Run (the numbers in the input-warping report come from these commands; 2 shared cores):

    OMP_NUM_THREADS=1 nice -n 10 python -m bench.gp_warping bo --seeds 20 \
        --problems synthetic-2-3d synthetic-4-8d --jobs 2
    OMP_NUM_THREADS=1 nice -n 10 python -m bench.gp_warping bo --seeds 5 --problems ml --jobs 2
    OMP_NUM_THREADS=1 nice -n 10 python -m bench.gp_warping bo --seeds 10 --problems ml \
        --variants gp-no-iw gp-iw-s0.5 --jobs 2
    python -m bench.bo.report bench/results/gp_warping.jsonl
    python -m bench.gp_warping times bench/results/gp_warping.jsonl
    python -m bench.gp_warping compare bench/results/gp_warping.jsonl
    OMP_NUM_THREADS=1 nice -n 10 python -m bench.gp_warping speed --long 1000

``bo`` runs ``bench.bo.run``'s suite for optimizers that fix the option whatever the default
is, ``gp-no-iw`` (``GPSampler(input_warping=False)``), ``gp-iw`` (``True`` with the prior tried
first, BoTorch's ``log a, log b ~ N(0, 0.75)``) and ``gp-iw-s0.5`` (``True`` with the prior the
option ships with, ``N(0, 0.5^2)``), on the same seeds, plus random search (the reference of
the normalised score, ``--random-seeds``). The records go to ``--out`` (default
``bench/results/gp_warping.jsonl``, git-ignored, resumable like ``bench.bo.run``), never to the
README's ``bench/results/bo.jsonl``. Besides ``bench.bo.run``'s fields, each GP record holds
``cpu_trial_times``: the CPU seconds of each ``ask`` + ``tell`` (wall-clock times mean little
while other jobs load the shared cores); ``times`` prints their median and mean per optimizer
and family; ``compare`` the paired per-seed score differences against ``gp-no-iw``.

``speed`` times ``ask`` + ``tell`` (objective excluded) like ``bench.gp_speed``, for both
settings: 100-trial runs on Styblinski-Tang in 2, 4, 6, 8 dims and one ``--long`` run in 6 dims.
"""

from __future__ import annotations

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import json
import math
import multiprocessing
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import tunesmith as ts
from bench._records import read_records
from bench.bo.optimizers import OPTIMIZERS, Objective, Optimizer
from bench.bo.problems import FAMILIES, Problem
from bench.bo.run import Task, _done, _select, run_one
from bench.gp_speed import _space, styblinski_tang
from tunesmith.models import gp as gp_model
from tunesmith.samplers._gp import GPSampler

# name -> (input_warping, standard deviation of the prior of log a, log b; None: the default)
VARIANTS: dict[str, tuple[bool, float | None]] = {
    "gp-no-iw": (False, None),
    "gp-iw": (True, math.sqrt(0.75)),  # the prior tried first: BoTorch's Warp
    "gp-iw-s0.5": (True, 0.5),  # the tighter prior the option ships with
}
_DEFAULT_WARP_SCALE = gp_model._WARP_SCALE
_CPU: list[float] = []  # CPU seconds of each ask + tell of the run in progress (this process)


def _optimizer(input_warping: bool, prior_scale: float | None) -> Optimizer:
    def run(problem: Problem, seed: int, budget: int, f: Objective) -> None:
        _CPU.clear()
        # An experiment, not an option: the prior's scale is a private constant of the model.
        gp_model._WARP_SCALE = _DEFAULT_WARP_SCALE if prior_scale is None else prior_scale
        sampler = GPSampler(seed=seed, input_warping=input_warping)
        study = ts.create_study(sampler=sampler, direction="minimize")
        for _ in range(budget):
            c = time.process_time()
            trial = study.ask(problem.space)
            c = time.process_time() - c
            value = f(trial.params)
            start = time.process_time()
            study.tell(trial, value)
            _CPU.append(c + time.process_time() - start)

    return Optimizer(run, lambda: ts.__version__)


# Registered on import, so that worker processes (which import this module to unpickle ``_run``)
# know the two variants too.
for _name, (_flag, _scale) in VARIANTS.items():
    OPTIMIZERS.setdefault(_name, _optimizer(_flag, _scale))


def _run(task: Task) -> dict[str, Any]:
    _CPU.clear()
    record = run_one(*task)
    if task[1] in VARIANTS:
        record["cpu_trial_times"] = list(_CPU)
    return record


def bo(args: argparse.Namespace) -> None:
    names = ["random", *(args.variants or VARIANTS)]
    tasks: list[Task] = [
        (p.name, o, seed, p.budget)
        for p in _select(args.problems)
        for o in names
        for seed in range(args.random_seeds if o == "random" else args.seeds)
    ]
    done = _done(args.out)
    todo = [t for t in tasks if t not in done]
    print(f"{len(todo)} runs to do ({len(tasks) - len(todo)} already in {args.out})", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    start, failed = time.perf_counter(), 0
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
        futures = {pool.submit(_run, task): task for task in todo}
        for k, future in enumerate(as_completed(futures), 1):
            task = futures[future]
            label = (
                f"[{k}/{len(todo)} {time.perf_counter() - start:6.0f}s] {' '.join(map(str, task))}"
            )
            exc = future.exception()
            if exc is not None:
                failed += 1
                print(f"{label}: FAILED {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                continue
            rec = future.result()
            with args.out.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
            ms = 1e3 * rec["optimizer_time"] / rec["budget"]
            print(f"{label}: best {rec['best']:.6g}, {ms:.1f} ms/trial", flush=True)
    print(f"done in {(time.perf_counter() - start) / 60:.1f} min; {failed} failed", flush=True)


def _times(d: int, n: int, input_warping: bool) -> list[float]:
    """CPU seconds of ask + tell per trial, ``n`` trials of Styblinski-Tang in ``d`` dims."""
    study = ts.create_study(sampler=GPSampler(seed=0, input_warping=input_warping))
    space = _space(d)
    cpu = []
    for _ in range(n):
        c = time.process_time()
        trial = study.ask(space)
        c1 = time.process_time() - c
        value = styblinski_tang(trial.params)
        c = time.process_time()
        study.tell(trial, value)
        cpu.append(c1 + time.process_time() - c)
    return cpu


def speed(args: argparse.Namespace) -> None:
    def ms(values: list[float]) -> str:
        return f"{1e3 * statistics.median(values):.1f}"

    print("Median CPU ms per trial over trials 11-100 (Styblinski-Tang, seed 0)\n")
    print("| dims | input_warping=False | input_warping=True |\n|---:|---:|---:|")
    for d in args.dims:
        off, on = _times(d, 100, False), _times(d, 100, True)
        print(f"| {d} | {ms(off[10:])} | {ms(on[10:])} |", flush=True)
    if args.long:
        print(f"\nOne {args.long}-trial run in 6 dims: median / mean / max CPU ms per trial\n")
        print("| trials | input_warping=False | input_warping=True |\n|---|---:|---:|")
        off, on = _times(6, args.long, False), _times(6, args.long, True)
        for s in range(0, args.long, 100):
            cells = [
                f"{ms(t[s : s + 100])} / {1e3 * statistics.mean(t[s : s + 100]):.1f} / "
                f"{1e3 * max(t[s : s + 100]):.1f}"
                for t in (off, on)
            ]
            print(f"| {s + 1}-{min(s + 100, args.long)} | {cells[0]} | {cells[1]} |", flush=True)


def times(args: argparse.Namespace) -> None:
    records = read_records(args.results)
    print("CPU ms per trial (ask + tell), median / mean\n")
    print("| problems | " + " | ".join(VARIANTS) + " |\n|---|" + "---:|" * len(VARIANTS))
    for label, family in [("all", None), *((f, f) for f in FAMILIES)]:
        cells = []
        for name in VARIANTS:
            t = [
                x
                for r in records
                if r["optimizer"] == name and family in (None, r["family"])
                for x in r.get("cpu_trial_times", [])
            ]
            cells.append(
                f"{1e3 * statistics.median(t):.1f} / {1e3 * statistics.mean(t):.1f}" if t else ""
            )
        if any(cells):
            print(f"| {label} | " + " | ".join(cells) + " |")


def compare(args: argparse.Namespace) -> None:
    """Paired differences of the normalised score, per seed, against ``gp-no-iw``."""
    records = read_records(args.results)
    best = {(r["problem"], r["optimizer"], r["seed"]): r["best"] for r in records}
    problems = list(dict.fromkeys(r["problem"] for r in records))
    family = {r["problem"]: r["family"] for r in records}
    others = [v for v in VARIANTS if v != "gp-no-iw" and any(r["optimizer"] == v for r in records)]
    print("Score of each variant minus gp-no-iw's, mean over the paired seeds +- standard error\n")
    print("| problem | " + " | ".join(others) + " |\n|---|" + "---:|" * len(others))
    diffs: dict[str, dict[str, tuple[float, float]]] = {v: {} for v in others}
    for problem in problems:
        rs = [r for r in records if r["problem"] == problem]
        budget = rs[0]["budget"]
        random = [r["curve"][budget - 1] for r in rs if r["optimizer"] == "random"]
        optimum = rs[0]["optimum"]
        opt = min(r["best"] for r in rs) if optimum is None else optimum
        span = max(statistics.mean(random) - opt, 1e-12)
        cells = []
        for v in others:
            d = [
                100 * (best[problem, "gp-no-iw", s] - best[problem, v, s]) / span
                for s in range(*args.seed_range)
                if (problem, v, s) in best and (problem, "gp-no-iw", s) in best
            ]
            if len(d) < 2:
                cells.append("")
                continue
            m, se = statistics.mean(d), statistics.stdev(d) / len(d) ** 0.5
            diffs[v][problem] = (m, se)
            cells.append(f"{m:+.1f} +- {se:.1f} ({len(d)})")
        print(f"| {problem} | " + " | ".join(cells) + " |")
    for label, fam in [("mean, all", None), *((f"mean, {f}", f) for f in FAMILIES)]:
        cells = []
        for v in others:
            got = [ms for p, ms in diffs[v].items() if fam in (None, family[p])]
            if not got:
                cells.append("")
                continue
            m = statistics.mean(x for x, _ in got)
            se = sum(e * e for _, e in got) ** 0.5 / len(got)
            cells.append(f"{m:+.1f} +- {se:.1f}")
        print(f"| {label} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_bo = sub.add_parser("bo", help="the BO suite, with and without input warping")
    p_bo.add_argument("--problems", nargs="+", help="problem names or families (default: all)")
    p_bo.add_argument("--seeds", type=int, default=10)
    p_bo.add_argument("--random-seeds", type=int, default=10)
    p_bo.add_argument("--out", type=Path, default=Path("bench/results/gp_warping.jsonl"))
    p_bo.add_argument("--jobs", type=int, default=2)
    p_bo.add_argument("--variants", nargs="+", choices=list(VARIANTS), help="default: all")
    p_speed = sub.add_parser("speed", help="time per trial, with and without input warping")
    p_speed.add_argument("--dims", type=int, nargs="*", default=[2, 4, 6, 8])
    p_speed.add_argument("--long", type=int, default=0, help="also one run of this many trials")
    p_times = sub.add_parser("times", help="CPU time per trial of the bo records")
    p_times.add_argument("results", type=Path, nargs="+")
    p_compare = sub.add_parser("compare", help="paired score differences against gp-no-iw")
    p_compare.add_argument("results", type=Path, nargs="+")
    p_compare.add_argument(
        "--seed-range", type=int, nargs=2, default=(0, 1000), help="seeds lo <= s < hi only"
    )
    args = parser.parse_args(argv)
    {"bo": bo, "speed": speed, "times": times, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
