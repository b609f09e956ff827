"""TuneSearchCV against scikit-learn's searches and Optuna's OptunaSearchCV, at an equal budget.

Every tool tunes the same estimator over the same space with the same number of candidate
configurations (``--candidates``, default 30) and the same CV folds (``--folds``, default 5): 150
fits, ``n_jobs=1`` everywhere. Tasks (datasets scikit-learn ships):

* ``svc-digits``: ``StandardScaler`` + ``SVC`` on the digits -- ``C`` in [1e-2, 1e3] and
  ``gamma`` in [1e-5, 1e-1], both log-scaled (grid: 6 x 5).
* ``sgd-digits``: ``SGDClassifier(max_iter=20, tol=None)`` on the digits scaled by 1/16 (a fixed
  scaling, so that no pipeline is needed and ``partial_fit`` works) -- ``alpha`` in [1e-7, 1e-1]
  and ``eta0`` in [1e-4, 1], log-scaled, ``learning_rate`` in {constant, invscaling} (grid:
  5 x 3 x 2). A full fit is 20 epochs.
* ``forest-cancer``: ``RandomForestClassifier(n_estimators=50)`` on breast cancer --
  ``max_features`` in [0.05, 1] log-scaled, ``min_samples_leaf`` in 1..20, ``criterion`` in
  {gini, entropy} (grid: 5 x 3 x 2). A full fit is 50 trees.

Tools (rows):

* ``grid``: ``GridSearchCV`` over the grid: per log-scaled range its points evenly spaced in
  log, per integer range evenly spaced and rounded, every categorical value (30 points).
* ``random``: ``RandomizedSearchCV(n_iter=30)``, ``scipy.stats.loguniform`` / ``uniform`` /
  ``randint`` and lists for the categoricals.
* ``halving``: ``HalvingRandomSearchCV(factor=3, min_resources="exhaust")`` on ``n_samples``,
  with the most candidates whose rounds fit the budget: 20 candidates, then 7, then 3, i.e. 30
  candidate evaluations (150 fits, most of them on a fraction of the data).
* ``optuna``: ``optuna_integration.OptunaSearchCV(n_trials=30)`` (its default, TPE), Optuna
  distributions. ``optuna-es`` (SGD only): ``enable_pruning=True, max_iter=20`` (``partial_fit``
  epochs, the study's default ``MedianPruner``).
* ``tunesmith``: ``TuneSearchCV(n_trials=30)`` with its defaults: ``AutoSampler`` and fold-level
  pruning by ``MedianPruner(n_warmup_steps=1)``. ``tunesmith-nop``: the same with
  ``NopPruner`` (every trial runs every fold). ``tunesmith-es`` (SGD and forest):
  ``early_stopping=True`` (20 ``partial_fit`` epochs; for the forest, 5 warm-start rounds of 10
  trees), default ``SuccessiveHalvingPruner``.

Protocol: for each seed ``s`` the data is split once into 75 % for the search and a 25 % test
split no search sees (stratified, ``random_state=s``); every tool of that seed searches the same
75 % with the same ``StratifiedKFold(folds, shuffle=True, random_state=s)`` and gets
``random_state=s`` (the estimators too, where they take one). So ``grid`` is run per seed as well:
it is deterministic given the splits, and differs between seeds only by the data split and the
CV shuffling. Every tool refits the best configuration on the 75 %, and its ``best_estimator_``
is scored on the test split. Runs are ordered task, seed, tool, so that the load of the machine
drifts over all tools alike.

Fits are counted, not inferred: the estimators are thin subclasses whose ``fit`` and
``partial_fit`` count what they train. A call on fewer samples than the 75 % belongs to the
search; one on all of it is the refit, which is left out of the counts (every tool refits once).
Each run also derives the counts from the tool's own records (``cv_results_``, the study's
trials, halving's ``n_candidates_`` / ``n_resources_``) and prints a note if they disagree.

Run (105 runs, 30 minutes on 2 shared cores; ``--report`` prints the tables of what is already
in the file; ``--tasks`` / ``--tools`` select rows):

    pip install -e ".[bench]" "optuna-integration[sklearn]"   # Optuna rows: skipped without it
    OMP_NUM_THREADS=1 nice -n 10 python -m bench.search_cv --seeds 5
    python -m bench.search_cv --report

Each run appends one JSON line to ``--out`` (default ``bench/results/search_cv.jsonl``):
``task``, ``tool``, ``seed``, ``n_candidates``, ``folds``, ``configs`` (configurations
evaluated), ``n_pruned`` (of them, stopped early), ``fits`` (models trained during the search:
one per configuration and fold started, however many epochs or rounds), ``fit_equivalents``
(the work of those fits in full fits on a whole training fold: a fit counts samples / fold size
x epochs / full epochs, or trees / full trees), ``refit_equivalents``, ``best_cv``
(``best_score_``), ``test`` (accuracy of ``best_estimator_`` on the test split),
``best_params``, ``wall_time`` and ``cpu_time`` (seconds of ``fit``, the refit included; CPU
seconds of this process, which the load of a shared machine inflates far less),
``reported_fits`` and ``reported_equivalents`` (the same counts from the tool's records),
``versions`` (with tunesmith's commit and a hash of the ``tunesmith/sklearn/`` package),
``date``. Runs already in the file are skipped, so an interrupted run resumes where it stopped.

The tables, per task and tool (mean ± standard deviation over the seeds): ``configs`` evaluated
(in brackets: pruned), ``fits`` and ``fit equiv.`` as above, ``best CV`` (the search's own
estimate of its best configuration's accuracy: optimistic, it is the maximum of what was
tried), ``test`` (the honest number), ``Δ test`` (test minus tunesmith's test on the same seed,
paired), ``seconds`` (wall), ``CPU seconds`` and ``CPU / tunesmith`` (ratio of the mean CPU
times on the same seeds).
"""

from __future__ import annotations

import os

# One thread per process for every BLAS / OpenMP pool: set before numpy is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import hashlib
import importlib
import json
import logging
import math
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from statistics import mean, stdev
from typing import Any

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.svm import SVC

import tunesmith as ts
from bench._records import read_records, tunesmith_commit

TOOLS = (
    "grid",
    "random",
    "halving",
    "optuna",
    "optuna-es",
    "tunesmith",
    "tunesmith-nop",
    "tunesmith-es",
)
REFERENCE = "tunesmith"
HALVING_FACTOR = 3
Key = tuple[str, str, int, int, int]  # task, tool, seed, candidates, folds


# -- search spaces, one description for every tool -----------------------------------------------
@dataclass(frozen=True)
class Param:
    """A hyperparameter: a float or int range (``log`` for log-scaled) or a list of ``choices``;
    ``n_grid`` is its number of points in the grid (choices: all of them)."""

    name: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    integer: bool = False
    choices: tuple[Any, ...] = ()
    n_grid: int = 0

    def __post_init__(self) -> None:
        if self.choices:
            return
        if not self.low < self.high or self.n_grid < 2:
            raise ValueError(
                f"A range needs `low < high` and `n_grid >= 2`, but got {self.name}: "
                f"low={self.low}, high={self.high}, n_grid={self.n_grid}."
            )
        if self.integer and self.log:  # scipy.stats has no log-uniform integer distribution
            raise ValueError(f"Log-scaled integers are not supported, but got {self.name}.")

    def grid(self) -> list[Any]:
        """The grid's values: evenly spaced in the parameter's scale, bounds included."""
        if self.choices:
            return list(self.choices)
        spaced = np.geomspace if self.log else np.linspace
        points = spaced(self.low, self.high, self.n_grid)
        if self.integer:
            return sorted({round(float(p)) for p in points})
        return [float(p) for p in points]

    def tunesmith(self) -> ts.Distribution:
        if self.choices:
            return ts.Categorical(list(self.choices))
        if self.integer:
            return ts.Int(int(self.low), int(self.high))
        return ts.Float(self.low, self.high, log=self.log)

    def optuna(self) -> Any:
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.choices:
            return CategoricalDistribution(list(self.choices))
        if self.integer:
            return IntDistribution(int(self.low), int(self.high))
        return FloatDistribution(self.low, self.high, log=self.log)

    def scipy(self) -> Any:
        """What ``RandomizedSearchCV`` samples from: a list, or a frozen scipy distribution."""
        from scipy import stats

        if self.choices:
            return list(self.choices)
        if self.integer:
            return stats.randint(int(self.low), int(self.high) + 1)
        if self.log:
            return stats.loguniform(self.low, self.high)
        return stats.uniform(self.low, self.high - self.low)


def grid_size(space: Iterable[Param]) -> int:
    return math.prod(len(p.grid()) for p in space)


def halving_evaluations(n_candidates: int, factor: int = HALVING_FACTOR) -> int:
    """Candidate evaluations of successive halving from ``n_candidates``, when the resources
    allow every round (scikit-learn keeps ``ceil(n / factor)`` per round until fewer than
    ``factor`` are left).

    Example:
        >>> halving_evaluations(20), halving_evaluations(21)
        (30, 31)
    """
    rounds = 1 + math.floor(math.log(n_candidates, factor) + 1e-12)
    total, n = 0, n_candidates
    for _ in range(rounds):
        total += n
        n = math.ceil(n / factor)
    return total


def halving_candidates(budget: int, factor: int = HALVING_FACTOR) -> int:
    """The most first-round candidates whose halving rounds evaluate at most ``budget``.

    Example:
        >>> halving_candidates(30)
        20
    """
    n = 1
    while halving_evaluations(n + 1, factor) <= budget:
        n += 1
    return n


# -- counting what is trained --------------------------------------------------------------------
@dataclass
class Tally:
    """What the counting estimators trained during one search.

    A fit on ``n_train`` samples (or more) is the refit, anything smaller (CV training folds,
    halving's subsamples) the search. ``fold_size`` is the mean size of a CV training fold: a fit
    on it, to the full number of epochs or trees, is one full-fit equivalent.
    """

    n_train: int = 0
    fold_size: float = 1.0
    fits: int = 0
    work: float = 0.0
    refit_work: float = 0.0

    def start(self, n_train: int, folds: int) -> None:
        self.n_train, self.fold_size = n_train, n_train * (folds - 1) / folds
        self.fits, self.work, self.refit_work = 0, 0.0, 0.0

    def add(self, n_samples: int, fraction: float, *, fresh: bool) -> None:
        """A fit on ``n_samples`` that did ``fraction`` of a full fit's epochs (or trees);
        ``fresh`` when it started a new model rather than continued one."""
        if n_samples >= self.n_train:
            self.refit_work += fraction
            return
        self.fits += fresh
        self.work += fraction * n_samples / self.fold_size


TALLY = Tally()


class CountingSVC(SVC):  # type: ignore[misc]
    """``SVC`` that tallies its fits."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        super().fit(X, y, sample_weight=sample_weight)
        TALLY.add(len(X), 1.0, fresh=True)
        return self


class CountingSGD(SGDClassifier):  # type: ignore[misc]
    """``SGDClassifier`` that tallies its epochs: ``max_iter`` of them are a full fit."""

    def fit(self, X: Any, y: Any, **kwargs: Any) -> Any:
        super().fit(X, y, **kwargs)
        TALLY.add(len(X), self.n_iter_ / self.max_iter, fresh=True)
        return self

    def partial_fit(self, X: Any, y: Any, **kwargs: Any) -> Any:
        fresh = not hasattr(self, "coef_")
        super().partial_fit(X, y, **kwargs)
        TALLY.add(len(X), 1 / self.max_iter, fresh=fresh)
        return self


FOREST_TREES = 50  # the forest task's n_estimators: a full fit


class CountingForest(RandomForestClassifier):  # type: ignore[misc]
    """``RandomForestClassifier`` that tallies the trees it grows (warm start included)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        before = len(getattr(self, "estimators_", [])) if self.warm_start else 0
        super().fit(X, y, sample_weight=sample_weight)
        grown = len(self.estimators_) - before
        TALLY.add(len(X), grown / FOREST_TREES, fresh=before == 0)
        return self


# -- tasks ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """A dataset, an estimator (``make(seed)``) and its space; ``epochs`` for the
    early-stopping rows (``partial_fit`` epochs or warm-start rounds), 0 when they do not
    apply; ``tools`` the rows that do not apply to every task and do here."""

    name: str
    load: Callable[[], tuple[Any, Any]]
    make: Callable[[int], Any]
    space: tuple[Param, ...]
    epochs: int = 0
    tools: tuple[str, ...] = field(default=())


def _digits() -> tuple[Any, Any]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X, y


def _digits_scaled() -> tuple[Any, Any]:
    X, y = _digits()
    return X / 16.0, y  # pixel values are 0..16: a fixed scaling, nothing learned from the data


def _cancer() -> tuple[Any, Any]:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X, y


def _svc(seed: int) -> Any:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()), ("svc", CountingSVC())])


def _sgd(seed: int) -> Any:
    return CountingSGD(max_iter=20, tol=None, random_state=seed)


def _forest(seed: int) -> Any:
    return CountingForest(n_estimators=FOREST_TREES, n_jobs=1, random_state=seed)


TASKS: dict[str, Task] = {
    "svc-digits": Task(
        "svc-digits",
        _digits,
        _svc,
        (
            Param("svc__C", 1e-2, 1e3, log=True, n_grid=6),
            Param("svc__gamma", 1e-5, 1e-1, log=True, n_grid=5),
        ),
    ),
    "sgd-digits": Task(
        "sgd-digits",
        _digits_scaled,
        _sgd,
        (
            Param("alpha", 1e-7, 1e-1, log=True, n_grid=5),
            Param("eta0", 1e-4, 1.0, log=True, n_grid=3),
            Param("learning_rate", choices=("constant", "invscaling")),
        ),
        epochs=20,
        tools=("optuna-es", "tunesmith-es"),
    ),
    "forest-cancer": Task(
        "forest-cancer",
        _cancer,
        _forest,
        (
            Param("max_features", 0.05, 1.0, log=True, n_grid=5),
            Param("min_samples_leaf", 1, 20, integer=True, n_grid=3),
            Param("criterion", choices=("gini", "entropy")),
        ),
        epochs=5,
        tools=("tunesmith-es",),
    ),
}
OPTIONAL = {"optuna-es", "tunesmith-es"}  # rows only for the tasks that list them


def applies(task: Task, tool: str) -> bool:
    return tool not in OPTIONAL or tool in task.tools


def missing(tool: str) -> str | None:
    """Why ``tool`` cannot run here, or None."""
    try:
        if tool.startswith("optuna"):
            importlib.import_module("optuna_integration")
        elif tool.startswith("tunesmith"):
            _sklearn_adapter_hash()  # imports it
    except ImportError as exc:
        return f"{exc} (pip install optuna-integration)" if tool.startswith("optuna") else str(exc)
    return None


# -- one run -------------------------------------------------------------------------------------
def make_search(task: Task, tool: str, seed: int, *, n_candidates: int, cv: Any) -> Any:
    """The search estimator ``tool`` for ``task``, ``n_candidates`` configurations, ``n_jobs=1``."""
    estimator = task.make(seed)
    space = {p.name: p for p in task.space}
    if tool == "grid":
        from sklearn.model_selection import GridSearchCV

        return GridSearchCV(estimator, {n: p.grid() for n, p in space.items()}, cv=cv, n_jobs=1)
    if tool == "random":
        from sklearn.model_selection import RandomizedSearchCV

        dists = {n: p.scipy() for n, p in space.items()}
        return RandomizedSearchCV(
            estimator, dists, n_iter=n_candidates, cv=cv, n_jobs=1, random_state=seed
        )
    if tool == "halving":
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingRandomSearchCV

        return HalvingRandomSearchCV(
            estimator,
            {n: p.scipy() for n, p in space.items()},
            n_candidates=halving_candidates(n_candidates),
            factor=HALVING_FACTOR,
            resource="n_samples",
            min_resources="exhaust",
            cv=cv,
            n_jobs=1,
            random_state=seed,
        )
    if tool in ("optuna", "optuna-es"):
        OptunaSearchCV = importlib.import_module("optuna_integration").OptunaSearchCV

        es = tool == "optuna-es"
        return OptunaSearchCV(
            estimator,
            {n: p.optuna() for n, p in space.items()},
            n_trials=n_candidates,
            cv=cv,
            n_jobs=1,
            random_state=seed,
            enable_pruning=es,
            **({"max_iter": task.epochs} if es else {}),
        )
    if tool in ("tunesmith", "tunesmith-nop", "tunesmith-es"):
        from tunesmith.sklearn import TuneSearchCV

        extra: dict[str, Any] = {}
        if tool == "tunesmith-nop":
            extra["pruner"] = ts.pruners.NopPruner()
        if tool == "tunesmith-es":
            extra.update(early_stopping=True, max_epochs=task.epochs)
        return TuneSearchCV(
            estimator,
            {n: p.tunesmith() for n, p in space.items()},
            n_trials=n_candidates,
            cv=cv,
            n_jobs=1,
            random_state=seed,
            **extra,
        )
    raise ValueError(f"`tool` must be one of {list(TOOLS)}, but got {tool!r}.")


def _configs(search: Any, tool: str) -> tuple[int, int]:
    """Configurations evaluated, and how many of them were stopped early."""
    if tool.startswith("optuna"):
        states = [t.state.name for t in search.trials_]
        return len(states), states.count("PRUNED")
    if tool == "halving":
        return int(search.n_candidates_[0]), 0
    states = list(search.cv_results_.get("state", []))
    return len(search.cv_results_["params"]), states.count("PRUNED")


def reported_work(search: Any, tool: str, task: Task, folds: int) -> tuple[int, float]:
    """Fits and full-fit equivalents as the tool's own records tell them (a check on the
    tally; equivalents are exact up to the folds' sizes differing by a sample)."""
    if tool == "halving":
        fits = sum(search.n_candidates_) * folds
        used = sum(
            n * r / search.max_resources_
            for n, r in zip(search.n_candidates_, search.n_resources_, strict=True)
        )
        return fits, used * folds
    if tool == "optuna-es":
        epochs = sum(len(t.intermediate_values) for t in search.trials_)
        return len(search.trials_) * folds, epochs * folds / task.epochs
    if tool == "optuna":
        return len(search.trials_) * folds, float(len(search.trials_) * folds)
    results = search.cv_results_
    if tool == "tunesmith-es":
        n_epochs = [int(e) for e in results["n_epochs"]]
        if task.name == "forest-cancer":  # warm-start rounds grow ceil(k * trees / rounds) trees
            rounds = min(task.epochs, FOREST_TREES)
            work = sum(-(-e * FOREST_TREES // rounds) / FOREST_TREES for e in n_epochs)
        else:
            work = sum(n_epochs) / task.epochs
        return len(n_epochs) * folds, work * folds
    # grid, random, tunesmith, tunesmith-nop: a fold was fitted iff its score is there
    # (no fit fails in these tasks; a pruned trial's unfitted folds are NaN).
    scores = np.array([results[f"split{i}_test_score"] for i in range(folds)], dtype=float)
    fitted = int(np.isfinite(scores).sum())
    return fitted, float(fitted)


def run_one(
    task_name: str, tool: str, seed: int, *, n_candidates: int = 30, folds: int = 5
) -> dict[str, Any]:
    """One search, as the JSON record ``main`` appends."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    warnings.simplefilter("ignore")  # convergence and overflow chatter of bad configurations
    logging.getLogger("tunesmith").setLevel(logging.ERROR)
    if tool.startswith("optuna"):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
    task = TASKS[task_name]
    X, y = task.load()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed
    )
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    search = make_search(task, tool, seed, n_candidates=n_candidates, cv=cv)
    TALLY.start(len(X_train), folds)
    start, cpu = time.perf_counter(), time.process_time()
    search.fit(X_train, y_train)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    configs, n_pruned = _configs(search, tool)
    fits, equivalents = reported_work(search, tool, task, folds)
    if fits != TALLY.fits or not math.isclose(equivalents, TALLY.work, rel_tol=0.01):
        print(
            f"({task_name} {tool} {seed}: the tool reports {fits} fits, {equivalents:.2f} "
            f"equivalents; the tally {TALLY.fits}, {TALLY.work:.2f})",
            file=sys.stderr,
            flush=True,
        )
    return {
        "task": task_name,
        "tool": tool,
        "seed": seed,
        "n_candidates": n_candidates,
        "folds": folds,
        "configs": configs,
        "n_pruned": n_pruned,
        "fits": TALLY.fits,
        "fit_equivalents": TALLY.work,
        "refit_equivalents": TALLY.refit_work,
        "reported_fits": fits,
        "reported_equivalents": equivalents,
        "best_cv": float(search.best_score_),
        "test": float(search.best_estimator_.score(X_test, y_test)),
        "best_params": {k: _plain(v) for k, v in search.best_params_.items()},
        "wall_time": wall,
        "cpu_time": cpu,
        "versions": _versions(tool),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@cache
def _sklearn_adapter_hash() -> str:
    """Hash of the ``tunesmith/sklearn/`` package as first imported (it is called right after
    the import): which version of the adapter the tunesmith rows ran."""
    import tunesmith.sklearn

    digest = hashlib.sha256()
    for path in sorted(Path(tunesmith.sklearn.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _versions(tool: str) -> dict[str, str]:
    import sklearn

    versions = {
        "tunesmith": f"{ts.__version__} ({tunesmith_commit()})",
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    if tool.startswith("tunesmith"):
        versions["tunesmith.sklearn"] = _sklearn_adapter_hash()
    if tool.startswith("optuna"):
        import optuna

        integration = importlib.import_module("optuna_integration")
        versions["optuna"] = optuna.__version__
        versions["optuna-integration"] = integration.__version__
    return versions


def _key(record: dict[str, Any]) -> Key:
    return (
        record["task"],
        record["tool"],
        record["seed"],
        record["n_candidates"],
        record["folds"],
    )


# -- report --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One line of a table: a tool's runs on one task (and budget), over seeds."""

    task: str
    tool: str
    n_candidates: int
    folds: int
    seeds: list[int]
    configs: list[float]
    n_pruned: list[float]
    fits: list[float]
    fit_equivalents: list[float]
    best_cv: list[float]
    test: list[float]
    delta_test: list[float]  # test - the reference's test on the same seed
    wall_time: list[float]
    cpu_time: list[float]
    cpu_ratio: float | None  # mean CPU time / the reference's, on the same seeds


def summarize(records: Iterable[dict[str, Any]]) -> list[Row]:
    """Rows by task (in ``TASKS`` order), budget and tool (in ``TOOLS`` order).

    Only the latest record of a key counts. ``delta_test`` and ``cpu_ratio`` compare with the
    ``REFERENCE`` tool's runs on the same task, budget and seeds.
    """
    latest = {_key(r): r for r in records}
    groups: dict[tuple[str, int, int, str], list[dict[str, Any]]] = {}
    for key, record in sorted(latest.items(), key=lambda kv: kv[0][2]):
        task, tool, _, n, folds = key
        groups.setdefault((task, n, folds, tool), []).append(record)
    rows = []
    for (task, n, folds, tool), runs in sorted(
        groups.items(),
        key=lambda kv: _order(*kv[0]),
    ):
        ref = {r["seed"]: r for r in groups.get((task, n, folds, REFERENCE), [])}
        paired = [(r, ref[r["seed"]]) for r in runs if r["seed"] in ref]
        rows.append(
            Row(
                task=task,
                tool=tool,
                n_candidates=n,
                folds=folds,
                seeds=[r["seed"] for r in runs],
                configs=[r["configs"] for r in runs],
                n_pruned=[r["n_pruned"] for r in runs],
                fits=[r["fits"] for r in runs],
                fit_equivalents=[r["fit_equivalents"] for r in runs],
                best_cv=[r["best_cv"] for r in runs],
                test=[r["test"] for r in runs],
                delta_test=[r["test"] - b["test"] for r, b in paired],
                wall_time=[r["wall_time"] for r in runs],
                cpu_time=[r["cpu_time"] for r in runs],
                cpu_ratio=(
                    mean(r["cpu_time"] for r, _ in paired) / mean(b["cpu_time"] for _, b in paired)
                    if paired
                    else None
                ),
            )
        )
    return rows


def _order(task: str, n: int, folds: int, tool: str) -> tuple[Any, ...]:
    tasks, tools = list(TASKS), list(TOOLS)
    return (
        tasks.index(task) if task in tasks else len(tasks),
        task,
        n,
        folds,
        tools.index(tool) if tool in tools else len(tools),
        tool,
    )


def mean_std(values: list[float], digits: int = 4, sign: bool = False) -> str:
    """``mean ± std`` of ``values`` (only the mean for one value or no spread); ``-`` if none."""
    if not values:
        return "-"
    fmt = f"{'+' if sign else ''}.{digits}f"
    spread = stdev(values) if len(values) > 1 else 0.0
    text = format(mean(values), fmt)
    return text + (f" ± {spread:.{digits}f}" if spread > 0.5 * 10**-digits else "")


def table(rows: list[Row]) -> str:
    """The rows as Markdown tables, one per task and budget."""
    header = [
        "tool",
        "configs (pruned)",
        "fits",
        "fit equiv.",
        "best CV",
        "test",
        f"Δ test vs {REFERENCE}",
        "seconds",
        "CPU seconds",
        f"CPU / {REFERENCE}",
    ]
    out: list[str] = []
    for setting in dict.fromkeys((r.task, r.n_candidates, r.folds) for r in rows):
        mine = [r for r in rows if (r.task, r.n_candidates, r.folds) == setting]
        task, n, folds = setting
        seeds = "/".join(map(str, sorted({len(r.seeds) for r in mine})))
        out += [f"#### {task}: {n} configurations x {folds} folds ({seeds} seeds)", ""]
        out.append("| " + " | ".join(header) + " |")
        out.append("| --- " + "| ---: " * (len(header) - 1) + "|")
        for r in mine:
            pruned = f" ({mean(r.n_pruned):.1f})" if any(r.n_pruned) else ""
            cells = [
                r.tool,
                f"{mean(r.configs):.0f}{pruned}",
                mean_std(r.fits, 0),
                mean_std(r.fit_equivalents, 0),
                mean_std(r.best_cv),
                mean_std(r.test),
                "-" if r.tool == REFERENCE else mean_std(r.delta_test, sign=True),
                mean_std(r.wall_time, 1),
                mean_std(r.cpu_time, 1),
                "-" if r.cpu_ratio is None else f"{r.cpu_ratio:.2f}",
            ]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


# -- command line --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. SEEDS-1 per task")
    parser.add_argument("--candidates", type=int, default=30, help="configurations per search")
    parser.add_argument("--folds", type=int, default=5, help="CV folds")
    parser.add_argument("--out", type=Path, default=Path("bench/results/search_cv.jsonl"))
    parser.add_argument("--report", action="store_true", help="only print the tables of --out")
    args = parser.parse_args(argv)
    if not args.report:
        _run(args)
    print(table(summarize(read_records(args.out, missing_ok=True))))


def _run(args: argparse.Namespace) -> None:
    tools = []
    for tool in dict.fromkeys(args.tools):
        reason = missing(tool)
        if reason:
            print(f"(skipping {tool}: {reason})", file=sys.stderr, flush=True)
        else:
            tools.append(tool)
    done = {_key(r) for r in read_records(args.out, missing_ok=True)}
    tasks: list[Key] = [
        (task, tool, seed, args.candidates, args.folds)
        for task in args.tasks
        for seed in range(args.seeds)
        for tool in tools
        if applies(TASKS[task], tool)
    ]
    todo = [t for t in tasks if t not in done]
    print(f"{len(todo)} runs to do ({len(tasks) - len(todo)} already in {args.out})", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for k, (task, tool, seed, n, folds) in enumerate(todo, 1):
        record = run_one(task, tool, seed, n_candidates=n, folds=folds)
        with args.out.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        print(
            f"[{k}/{len(todo)} {time.perf_counter() - start:6.0f}s] {task} {tool} {seed}: "
            f"cv {record['best_cv']:.4f}, test {record['test']:.4f}, {record['fits']} fits "
            f"({record['fit_equivalents']:.1f} equiv.), {record['wall_time']:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
