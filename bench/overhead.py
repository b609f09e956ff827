"""Overhead per trial of ask + tell with a trivial objective, tunesmith and Optuna side by side.

Run (PostgreSQL rows need the server and the URL; Optuna rows need ``pip install optuna``):

    OMP_NUM_THREADS=1 python bench/overhead.py --trials 1000 10000 \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

It prints a Markdown table: milliseconds per trial over the whole run, and over the last 1,000
trials (which shows whether the cost grows with the size of the study).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

import tunesmith as ts

Runner = Callable[[str | None, int], list[float]]


def _objective_ts(trial: ts.Trial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    y = trial.suggest_int("y", 0, 10)
    return x * x + y


def run_tunesmith(url: str | None, n: int) -> list[float]:
    """Seconds at the end of each trial, from the start of the run."""
    study = ts.create_study(storage=url, sampler=ts.samplers.RandomSampler(seed=0))
    marks: list[float] = []
    start = time.perf_counter()
    study.optimize(
        _objective_ts,
        n_trials=n,
        callbacks=[lambda s, t: marks.append(time.perf_counter() - start)],
    )
    assert len(study.trials) == n
    return marks


def run_optuna(url: str | None, n: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(storage=url, sampler=optuna.samplers.RandomSampler(seed=0))
    marks: list[float] = []
    start = time.perf_counter()

    def objective(trial: Any) -> float:
        x: float = trial.suggest_float("x", -10.0, 10.0)
        y: int = trial.suggest_int("y", 0, 10)
        return x * x + y

    study.optimize(
        objective, n_trials=n, callbacks=[lambda s, t: marks.append(time.perf_counter() - start)]
    )
    return marks


def _reset_postgres(url: str, tool: str) -> str:
    """A fresh database per tool, so the two never share tables."""
    from sqlalchemy import create_engine, text

    name = f"bench_{tool}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--postgres", default=os.environ.get("TUNESMITH_TEST_POSTGRES_URL"))
    parser.add_argument("--backends", nargs="+", default=["memory", "sqlite", "postgres"])
    parser.add_argument("--no-optuna", action="store_true")
    args = parser.parse_args()
    logging.getLogger("tunesmith").setLevel(logging.ERROR)

    tools: dict[str, Runner] = {"tunesmith": run_tunesmith}
    if not args.no_optuna:
        try:
            import optuna

            tools[f"Optuna {optuna.__version__}"] = run_optuna
        except ImportError:
            print("(optuna is not installed: its rows are skipped)")

    rows = []
    for backend in args.backends:
        if backend == "postgres" and not args.postgres:
            print("(no --postgres URL: PostgreSQL rows are skipped)")
            continue
        for n in args.trials:
            for tool, run in tools.items():
                with tempfile.TemporaryDirectory() as tmp:
                    if backend == "memory":
                        url = None
                    elif backend == "sqlite":
                        url = f"sqlite:///{tmp}/bench.db"
                    else:
                        url = _reset_postgres(args.postgres, tool.split()[0].lower())
                    gc.collect()
                    marks = run(url, n)
                total = marks[-1] / n * 1e3
                tail = n_tail = min(1000, n)
                last = (marks[-1] - marks[-tail - 1] if n > tail else marks[-1]) / n_tail * 1e3
                rows.append((backend, n, tool, total, last))
                print(
                    f"{backend:8s} {n:6d} {tool:14s} {total:8.3f} ms/trial  last 1k {last:8.3f}",
                    flush=True,
                )

    print("\n| storage | trials | tool | ms per trial | ms per trial, last 1,000 |")
    print("|---|---:|---|---:|---:|")
    for backend, n, tool, total, last in rows:
        print(f"| {backend} | {n:,} | {tool} | {total:.3f} | {last:.3f} |")


if __name__ == "__main__":
    main()
