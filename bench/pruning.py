"""Pruning benchmark: epochs saved and validation accuracy kept by each pruner.

Each run tunes one iterative scikit-learn learner on the handwritten digits (a fixed stratified
70/30 train/validation split, standardised), training it one epoch per ``partial_fit`` and
reporting the validation accuracy after each epoch (``trial.report(accuracy, step=epoch)``,
epochs counted from 1). A trial is pruned when the study's pruner says so; a trial that is not
returns its accuracy after the last epoch. Learners:

* ``sgd``: ``SGDClassifier(loss="log_loss")`` -- ``alpha``, ``eta0``, ``learning_rate``.
* ``mlp``: ``MLPClassifier`` (Adam) -- hidden units, ``alpha``, ``learning_rate_init``,
  ``batch_size``.

Pruners: ``nop`` (``NopPruner``, trains everything: the reference), ``median``
(``MedianPruner()``, its defaults), ``asha`` (``SuccessiveHalvingPruner(min_resource=1,
reduction_factor=3)``: rungs at epochs 1, 3, 9, 27) and ``hyperband``
(``HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3)``).

The sampler is seeded and the same for every pruner: with ``random`` (``RandomSampler(seed=s)``,
the default) trial *n* gets the same configuration, and the same learner seed, under every
pruner, so a pruned trial's curve is a prefix of its curve under ``nop`` and the comparison
isolates the pruner. With ``auto`` (the default ``AutoSampler``, a Gaussian process) the
proposals also learn from the pruned trials, so the pruner changes what is tried next. The study
name is fixed per seed: Hyperband deals trials to brackets by a hash of it.

Run (each sampler took about 20 minutes on the 2-core development machine while other jobs
kept it busy; the tables are printed at the end, and ``--report`` prints those of what is
already in the file):

    OMP_NUM_THREADS=1 python -m bench.pruning --seeds 5 --trials 60 --epochs 30 \
        --samplers random auto
    python -m bench.pruning --report

Each run appends one JSON line to ``--out`` (default ``bench/results/pruning.jsonl``):
``learner``, ``sampler``, ``pruner``, ``seed``, ``n_trials``, ``max_epochs``, ``epochs`` (trained,
summed over the trials), ``n_complete``, ``n_pruned``, ``best`` (best validation accuracy of a
COMPLETE trial), ``best_params``, ``wall_time`` (seconds for the whole ``optimize``),
``trials`` (per trial in order: state, epochs trained, value), ``versions``, ``date``. Runs already
in the file are skipped, so an interrupted run resumes where it stopped.

The tables: for each learner and sampler, per pruner, the epochs trained (mean over seeds, and
relative to ``nop`` on the same seeds), complete / pruned trials, the best validation accuracy
(mean +- standard deviation over seeds), the best accuracy ``nop`` reached with the same number
of epochs (its first trials only: is pruning better than running fewer trials?) and the wall
time.
"""

from __future__ import annotations

import os

# One thread per process for every BLAS / OpenMP pool: set before numpy is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import logging
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from statistics import mean, stdev
from typing import Any

import numpy as np

import tunesmith as ts
from bench._records import read_records, tunesmith_commit

PRUNERS = ("nop", "median", "asha", "hyperband")
SAMPLERS = ("random", "auto")
Key = tuple[str, str, str, int, int, int]  # learner, sampler, pruner, seed, trials, epochs


# -- learners ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """Standardised digits: ``n x 64`` features, labels 0-9."""

    X_train: np.ndarray[Any, Any]
    y_train: np.ndarray[Any, Any]
    X_val: np.ndarray[Any, Any]
    y_val: np.ndarray[Any, Any]
    classes: np.ndarray[Any, Any]


@cache
def digits() -> Split:
    """The digits, split 70/30 (stratified, fixed) and standardised on the training part."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return Split(scaler.transform(X_train), y_train, scaler.transform(X_val), y_val, np.unique(y))


@dataclass(frozen=True)
class Learner:
    """A search space and how to build an estimator with ``partial_fit`` from a configuration."""

    space: dict[str, ts.Distribution]
    build: Callable[[dict[str, Any], int], Any]  # (params, random_state) -> estimator


def _sgd(params: dict[str, Any], random_state: int) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", random_state=random_state, **params)


def _mlp(params: dict[str, Any], random_state: int) -> Any:
    from sklearn.neural_network import MLPClassifier

    hidden = params["hidden"]
    rest = {k: v for k, v in params.items() if k != "hidden"}
    return MLPClassifier(hidden_layer_sizes=(hidden,), random_state=random_state, **rest)


LEARNERS: dict[str, Learner] = {
    "sgd": Learner(
        {
            "alpha": ts.Float(1e-7, 1e-1, log=True),
            "eta0": ts.Float(1e-5, 1.0, log=True),
            "learning_rate": ts.Categorical(["constant", "optimal", "invscaling", "adaptive"]),
        },
        _sgd,
    ),
    "mlp": Learner(
        {
            "hidden": ts.Int(16, 256, log=True),
            "alpha": ts.Float(1e-6, 1e-1, log=True),
            "learning_rate_init": ts.Float(1e-5, 1e-1, log=True),
            "batch_size": ts.Categorical([16, 32, 64, 128, 256]),
        },
        _mlp,
    ),
}


def make_objective(learner: Learner, seed: int, epochs: int) -> Callable[[ts.Trial], float]:
    """Validation accuracy after ``epochs`` epochs, reported (and maybe pruned) after each."""
    data = digits()

    def objective(trial: ts.Trial) -> float:
        # The learner's seed depends on (seed, trial number) only: trial n trains identically
        # under every pruner, up to where it is pruned.
        model = learner.build(dict(trial.params), seed * 10_000 + trial.number)
        accuracy = 0.0
        for epoch in range(1, epochs + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # overflow and convergence chatter of bad configs
                model.partial_fit(data.X_train, data.y_train, classes=data.classes)
                accuracy = float(model.score(data.X_val, data.y_val))
            trial.report(accuracy, step=epoch)
            if trial.should_prune():
                raise ts.TrialPruned()
        return accuracy

    return objective


# -- one run -------------------------------------------------------------------------------------
def make_pruner(name: str, epochs: int) -> ts.pruners.BasePruner:
    """The pruner called ``name`` (one of ``PRUNERS``) for trials of ``epochs`` epochs."""
    if name == "nop":
        return ts.pruners.NopPruner()
    if name == "median":
        return ts.pruners.MedianPruner()
    if name == "asha":
        return ts.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if name == "hyperband":
        return ts.pruners.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3)
    raise ValueError(f"`pruner` must be one of {list(PRUNERS)}, but got {name!r}.")


def make_sampler(name: str, seed: int) -> ts.samplers.BaseSampler:
    """The sampler called ``name`` (one of ``SAMPLERS``), seeded."""
    if name == "random":
        return ts.samplers.RandomSampler(seed=seed)
    if name == "auto":
        return ts.samplers.AutoSampler(seed=seed)
    raise ValueError(f"`sampler` must be one of {list(SAMPLERS)}, but got {name!r}.")


def run_one(
    learner: str, sampler: str, pruner: str, seed: int, *, n_trials: int, epochs: int
) -> dict[str, Any]:
    """One study of ``n_trials`` trials, as the JSON record ``main`` appends."""
    study = ts.create_study(
        study_name=f"pruning-{learner}-{seed}",  # Hyperband's brackets hash the name
        direction="maximize",
        sampler=make_sampler(sampler, seed),
        pruner=make_pruner(pruner, epochs),
    )
    objective = make_objective(LEARNERS[learner], seed, epochs)
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials, space=LEARNERS[learner].space)
    wall = time.perf_counter() - start
    trials = study.trials
    complete = [t for t in trials if t.state is ts.TrialState.COMPLETE]
    best = study.best_trial if complete else None  # a tiny run may prune every trial
    return {
        "learner": learner,
        "sampler": sampler,
        "pruner": pruner,
        "seed": seed,
        "n_trials": n_trials,
        "max_epochs": epochs,
        "epochs": sum(len(t.intermediate_values) for t in trials),
        "n_complete": len(complete),
        "n_pruned": sum(t.state is ts.TrialState.PRUNED for t in trials),
        "best": None if best is None else best.value,
        "best_params": None if best is None else best.params,
        "wall_time": wall,
        "trials": [[t.state.name, len(t.intermediate_values), t.value] for t in trials],
        "versions": _versions(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


@cache
def _versions() -> dict[str, str]:
    import sklearn

    commit = tunesmith_commit()
    return {
        "tunesmith": f"{ts.__version__} ({commit})",
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _key(record: dict[str, Any]) -> Key:
    return (
        record["learner"],
        record["sampler"],
        record["pruner"],
        record["seed"],
        record["n_trials"],
        record["max_epochs"],
    )


# -- report --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One line of the table: a pruner's runs over seeds, for one learner and sampler."""

    learner: str
    sampler: str
    pruner: str
    n_seeds: int
    epochs: float  # trained per study, mean over seeds
    relative: float | None  # epochs / nop's epochs on the same seeds (None without nop)
    n_complete: float
    n_pruned: float
    best: list[float]  # best validation accuracy, per seed (with a COMPLETE trial)
    nop_same_epochs: list[float]  # nop's best within this pruner's epochs, per seed
    wall_time: float  # seconds per study, mean over seeds


def nop_best_within(trials: list[list[Any]], epochs: int) -> float | None:
    """Best value of the COMPLETE trials of a ``nop`` run that fit in its first ``epochs``
    epochs (trials in order); ``None`` if not even the first one fits."""
    best, spent = None, 0
    for state, trained, value in trials:
        spent += trained
        if spent > epochs:
            break
        if state == "COMPLETE" and (best is None or value > best):
            best = value
    return best


def summarize(records: Iterable[dict[str, Any]]) -> list[Row]:
    """Rows by learner, sampler and pruner (in the order of ``LEARNERS``, ``SAMPLERS`` and
    ``PRUNERS``), over the seeds run.

    Each (learner, sampler, seed, trials, epochs) setting is a group; only the latest record
    of a key counts. Rows mix settings only if the file holds several ``--trials`` /
    ``--epochs``; keep one per file.
    """
    latest = {_key(r): r for r in records}
    nop = {k[:2] + k[3:]: r for k, r in latest.items() if k[2] == "nop"}
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for key, record in sorted(latest.items(), key=lambda kv: kv[0][3]):
        groups.setdefault(key[:3], []).append(record)
    rank = {name: i for names in (LEARNERS, SAMPLERS, PRUNERS) for i, name in enumerate(names)}
    rows = []
    for (learner, sampler, pruner), runs in sorted(
        groups.items(), key=lambda kv: [(rank.get(name, 99), name) for name in kv[0]]
    ):
        refs = [nop.get(_key(r)[:2] + _key(r)[3:]) for r in runs]
        paired = [(r, ref) for r, ref in zip(runs, refs, strict=True) if ref is not None]
        within = [nop_best_within(ref["trials"], r["epochs"]) for r, ref in paired]
        rows.append(
            Row(
                learner=learner,
                sampler=sampler,
                pruner=pruner,
                n_seeds=len(runs),
                epochs=mean(r["epochs"] for r in runs),
                relative=mean(r["epochs"] / ref["epochs"] for r, ref in paired) if paired else None,
                n_complete=mean(r["n_complete"] for r in runs),
                n_pruned=mean(r["n_pruned"] for r in runs),
                best=[r["best"] for r in runs if r["best"] is not None],
                nop_same_epochs=[b for b in within if b is not None],
                wall_time=mean(r["wall_time"] for r in runs),
            )
        )
    return rows


def _mean_std(values: list[float]) -> str:
    if not values:
        return "-"
    spread = f" ± {stdev(values):.4f}" if len(values) > 1 else ""
    return f"{mean(values):.4f}{spread}"


def table(rows: list[Row]) -> str:
    """The rows as Markdown tables, one per learner and sampler."""
    header = [
        "pruner",
        "epochs trained",
        "vs nop",
        "complete / pruned",
        "best val. accuracy",
        "nop, same epochs",
        "wall time (s)",
    ]
    out: list[str] = []
    settings = dict.fromkeys((r.learner, r.sampler) for r in rows)
    for learner, sampler in settings:
        mine = [r for r in rows if (r.learner, r.sampler) == (learner, sampler)]
        seeds = sorted({r.n_seeds for r in mine})
        out += [f"#### {learner}, {sampler} sampler ({'/'.join(map(str, seeds))} seeds)", ""]
        out.append("| " + " | ".join(header) + " |")
        out.append("| --- " + "| ---: " * (len(header) - 1) + "|")
        for r in mine:
            cells = [
                r.pruner,
                f"{r.epochs:,.0f}",
                "-" if r.relative is None else f"{100 * r.relative:.0f}%",
                f"{r.n_complete:.1f} / {r.n_pruned:.1f}",
                _mean_std(r.best),
                "-" if r.pruner == "nop" else _mean_std(r.nop_same_epochs),
                f"{r.wall_time:.1f}",
            ]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


# -- command line --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", nargs="+", default=list(LEARNERS), choices=list(LEARNERS))
    parser.add_argument("--samplers", nargs="+", default=["random"], choices=list(SAMPLERS))
    parser.add_argument("--pruners", nargs="+", default=list(PRUNERS), choices=list(PRUNERS))
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. SEEDS-1 per setting")
    parser.add_argument("--trials", type=int, default=60, help="trials per study")
    parser.add_argument("--epochs", type=int, default=30, help="epochs of an unpruned trial")
    parser.add_argument("--out", type=Path, default=Path("bench/results/pruning.jsonl"))
    parser.add_argument("--report", action="store_true", help="only print the tables of --out")
    args = parser.parse_args(argv)
    if not args.report:
        _run(args)
    print(table(summarize(read_records(args.out, missing_ok=True))))


def _run(args: argparse.Namespace) -> None:
    logging.getLogger("tunesmith").setLevel(logging.ERROR)
    done = {_key(r) for r in read_records(args.out, missing_ok=True)}
    tasks = [
        (learner, sampler, pruner, seed, args.trials, args.epochs)
        for learner in args.learners
        for sampler in args.samplers
        for seed in range(args.seeds)
        for pruner in args.pruners
    ]
    todo = [t for t in tasks if t not in done]
    print(f"{len(todo)} runs to do ({len(tasks) - len(todo)} already in {args.out})", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for k, task in enumerate(todo, 1):
        record = run_one(*task[:4], n_trials=args.trials, epochs=args.epochs)
        with args.out.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        best = "-" if record["best"] is None else f"{record['best']:.4f}"
        print(
            f"[{k}/{len(todo)} {time.perf_counter() - start:6.0f}s] {' '.join(map(str, task[:4]))}:"
            f" {record['epochs']} epochs, {record['n_pruned']} pruned, best {best}, "
            f"{record['wall_time']:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
