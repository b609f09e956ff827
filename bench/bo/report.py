"""Markdown tables of the Bayesian-optimization benchmarks written by ``bench.bo.run``.

Run:

    python -m bench.bo.report bench/results/bo.jsonl [more.jsonl ...]

Score (Bayesmark's normalised score) per problem and optimizer:
``100 x (1 - (best - opt) / (random - opt))``, where ``best`` is the optimizer's best value within
the budget (mean over its seeds), ``random`` the same for random search (mean over its seeds, read
off its best-so-far curves at that budget) and ``opt`` the known optimum, or for ML problems the
best value any run saw. 100 is the optimum, 0 random search; negative is worse than random.
Then the mean score over all problems and per family, and the optimizer time per trial: the median
and the mean (which counts the model refits of optimizers that refit only every few trials).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path
from statistics import mean, median
from typing import Any

from bench._records import read_records

from .optimizers import OPTIMIZERS
from .problems import FAMILIES, PROBLEMS


def _table(header: list[str], rows: list[list[str]]) -> str:
    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _ms(seconds: list[float]) -> str:
    return f"{1e3 * median(seconds):.1f} / {1e3 * mean(seconds):.1f}" if seconds else ""


def scores(records: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, float]]:
    """Score per (problem, budget) and optimizer; problems without random search are left out."""
    runs: dict[tuple[str, int], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    seen: dict[str, float] = {}  # best value any run saw, per problem
    optimum: dict[str, float | None] = {}
    for r in records:
        runs[r["problem"], r["budget"]][r["optimizer"]].append(r["best"])
        seen[r["problem"]] = min(seen.get(r["problem"], r["best"]), r["best"])
        optimum[r["problem"]] = r["optimum"]
    out: dict[tuple[str, int], dict[str, float]] = {}
    for (problem, budget), by_optimizer in runs.items():
        random = [
            r["curve"][budget - 1]
            for r in records
            if r["problem"] == problem and r["optimizer"] == "random" and r["budget"] >= budget
        ]
        if not random:
            continue
        known = optimum[problem]
        opt = seen[problem] if known is None else known
        span = max(mean(random) - opt, 1e-12)
        out[problem, budget] = {
            o: 100 * (1 - (mean(bests) - opt) / span) for o, bests in by_optimizer.items()
        }
    return out


def report(records: list[dict[str, Any]]) -> str:
    names = [o for o in OPTIMIZERS if any(r["optimizer"] == o for r in records)]
    names += sorted({r["optimizer"] for r in records} - set(names))
    family = {r["problem"]: r["family"] for r in records}
    dims = {r["problem"]: r["n_dims"] for r in records}
    order = {name: i for i, name in enumerate(PROBLEMS)}
    table = dict(sorted(scores(records).items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0])))
    out = []

    rows = []
    for (problem, budget), by in table.items():
        cells = [f"{by[o]:.1f}" if o in by else "" for o in names]
        rows.append([problem, str(dims[problem]), str(budget), *cells])
    out += ["### Normalised score per problem (100 = optimum, 0 = random search)", ""]
    out += [_table(["problem", "dims", "budget", *names], rows), ""]

    groups: dict[str, str | None] = {"all problems": None, **{v: k for k, v in FAMILIES.items()}}
    rows = []
    for label, key in groups.items():
        members = [pb for pb in table if key in (None, family[pb[0]])]
        if not members:
            continue
        cells = []
        for o in names:
            got = [table[pb][o] for pb in members if o in table[pb]]
            part = f" ({len(got)}/{len(members)})" if len(got) < len(members) else ""
            cells.append(f"{mean(got):.1f}{part}" if got else "")
        rows.append([f"{label} ({len(members)})", *cells])
    out += ["### Mean normalised score (in brackets: problems run, if not all)", ""]
    out += [_table(["problems", *names], rows), ""]

    rows = []
    for label, key in groups.items():
        times: dict[str, list[float]] = {o: [] for o in names}
        for r in records:
            if key in (None, r["family"]):
                times[r["optimizer"]] += r["trial_times"]
        if any(times.values()):
            rows.append([label, *(_ms(t) for t in times.values())])
    out += ["### Optimizer time per trial, median / mean (ms; ask + tell, objective excluded)", ""]
    out += [_table(["problems", *names], rows), ""]

    seeds = {o: len({r["seed"] for r in records if r["optimizer"] == o}) for o in names}
    out.append("Seeds: " + ", ".join(f"{o} {n}" for o, n in seeds.items()) + ".")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="JSON-lines files of bench.bo.run")
    args = parser.parse_args()
    print(report(read_records(args.results)))


if __name__ == "__main__":
    main()
