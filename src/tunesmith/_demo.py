"""The tuning run behind ``tunesmith demo``: an SVM on scikit-learn's handwritten digits.

The objective is a real one: a ``Pipeline(StandardScaler, SVC)`` scored by k-fold
cross-validated accuracy on ``sklearn.datasets.load_digits`` (1,797 images of 8x8 pixels,
10 classes), maximized. The search space is define-by-run with a condition:

* ``C``: log-uniform in [1e-3, 1e3]
* ``kernel``: one of ``rbf``, ``poly``, ``sigmoid``
* ``gamma``: log-uniform in [1e-5, 1]
* ``degree``: an int in [2, 5], drawn only when ``kernel == "poly"``

scikit-learn is imported only when the demo runs, so the rest of the command line works
without it.
"""

from __future__ import annotations

import shlex
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from ._checks import check_int
from ._errors import MissingExtraError
from .records import FrozenTrial, TrialState
from .samplers import AutoSampler, BaseSampler, QMCSampler, RandomSampler
from .storages import BaseStorage
from .study import Study, create_study
from .trial import Trial

__all__ = ["SAMPLERS", "SVMObjective", "load_objective", "make_sampler", "run_demo"]

#: Samplers the demo can use, by their command-line name.
SAMPLERS: tuple[str, ...] = ("auto", "random", "qmc")

_SKLEARN_HINT = "`tunesmith demo` needs scikit-learn: pip install 'tunesmith[sklearn]'"


@dataclass(frozen=True)
class SVMObjective:
    """Cross-validated accuracy of ``StandardScaler + SVC`` on a fixed data set.

    Attributes:
        X: Features, ``n_samples x n_features``.
        y: Class labels, ``n_samples``.
        cv: Number of stratified folds (>= 2).
    """

    X: Any
    y: Any
    cv: int = 5

    def __call__(self, trial: Trial) -> float:
        """Draw a configuration from ``trial`` and return its mean accuracy over the folds.

        Args:
            trial: The live trial to draw ``C``, ``kernel``, ``gamma`` (and ``degree``) from.

        Returns:
            The mean cross-validated accuracy, in [0, 1]; the fold standard deviation is stored
            as the user attribute ``accuracy_std``.
        """
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import cross_val_score
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        c = trial.suggest_float("C", 1e-3, 1e3, log=True)
        kernel = trial.suggest_categorical("kernel", ["rbf", "poly", "sigmoid"])
        gamma = trial.suggest_float("gamma", 1e-5, 1.0, log=True)
        degree = trial.suggest_int("degree", 2, 5) if kernel == "poly" else 3
        model = Pipeline(
            [
                ("scale", StandardScaler()),
                ("svc", SVC(C=c, kernel=kernel, gamma=gamma, degree=degree)),
            ]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            scores = cross_val_score(model, self.X, self.y, cv=self.cv, scoring="accuracy")
        trial.set_user_attr("accuracy_std", float(scores.std()))
        return float(scores.mean())


def load_objective(cv: int = 5) -> SVMObjective:
    """Import scikit-learn, load the digits data set and build the demo objective.

    Args:
        cv: Number of cross-validation folds (>= 2).

    Returns:
        The objective, ready for ``Study.optimize``.

    Raises:
        MissingExtraError: scikit-learn is not installed (the message says how to install it).
        TypeError, ValueError: ``cv`` is not an int >= 2.
    """
    cv = check_int(cv, "cv", low=2)
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise MissingExtraError(_SKLEARN_HINT) from exc
    X, y = load_digits(return_X_y=True)
    return SVMObjective(X=X, y=y, cv=cv)


def make_sampler(name: str, seed: int | None) -> BaseSampler:
    """The sampler called ``name`` (one of ``SAMPLERS``), seeded with ``seed``.

    Raises:
        ValueError: ``name`` is not one of ``SAMPLERS``.
    """
    if name == "auto":
        return AutoSampler(seed=seed)
    if name == "random":
        return RandomSampler(seed=seed)
    if name == "qmc":
        return QMCSampler(seed=seed)
    raise ValueError(f"`sampler` must be one of {list(SAMPLERS)}, but got {name!r}.")


def run_demo(
    storage: BaseStorage,
    *,
    storage_url: str,
    default_storage_url: str,
    study_name: str = "demo",
    n_trials: int = 30,
    seed: int | None = 0,
    sampler: Literal["auto", "random", "qmc"] = "auto",
    cv: int = 5,
    objective: SVMObjective | None = None,
    out: TextIO,
) -> int:
    """Tune the SVM, printing one line per trial, then the best configuration and next steps.

    The study is created in ``storage`` or, when it exists, resumed (new trials are added).

    Args:
        storage: Where the study lives.
        storage_url: How the user named ``storage`` (shown in the hints).
        default_storage_url: The command line's default URL (hints omit ``--storage`` for it).
        study_name: Name of the study.
        n_trials: Trials to add in this run.
        seed: Seed of the sampler; trial ``n`` of a seeded study always draws the same point.
        sampler: ``"auto"`` (Bayesian optimization, the default), ``"random"`` or ``"qmc"``.
        cv: Cross-validation folds.
        objective: The objective from ``load_objective(cv)``, loaded here when ``None``.
        out: Where to print.

    Returns:
        0 when at least one trial of the study is complete, else 1.

    Raises:
        MissingExtraError: scikit-learn is missing.
        KeyboardInterrupt: Ctrl-C; the running trial is stored as FAIL and the study can be
            resumed by running the demo again.
    """
    if objective is None:
        objective = load_objective(cv)
    cv = objective.cv
    existed = any(s.name == study_name for s in storage.list_studies())
    study = create_study(
        study_name=study_name,
        storage=storage,
        direction="maximize",
        sampler=make_sampler(sampler, seed),
        load_if_exists=True,
    )
    before = len(study.trials)
    n_samples, n_features = objective.X.shape
    print(
        f"Tuning StandardScaler + SVC on scikit-learn's digits ({n_samples} images, "
        f"{n_features} pixels, 10 classes): {cv}-fold cross-validated accuracy, maximized.",
        file=out,
    )
    if existed:
        print(
            f"Resuming study {study_name!r} in {storage_url} ({before} trials so far); "
            f"adding {n_trials} with the {sampler} sampler (seed {seed}).",
            file=out,
        )
    else:
        print(
            f"Created study {study_name!r} in {storage_url}; running {n_trials} trials with the "
            f"{sampler} sampler (seed {seed}).",
            file=out,
        )
    print(file=out)
    width = max(5, len(str(before + n_trials - 1)))
    print(
        f"{'trial':>{width}}  {'state':<8}  {'accuracy':>8}  {'best':>6}  {'time':>6}  params",
        file=out,
    )
    started = time.monotonic()

    def report(study: Study, trial: FrozenTrial) -> None:
        print(_trial_line(study, trial, width), file=out, flush=True)

    try:
        study.optimize(objective, n_trials=n_trials, callbacks=[report])
    except KeyboardInterrupt:
        print(
            f"\nInterrupted. Study {study_name!r} is saved; run the same command to resume.",
            file=out,
            flush=True,
        )
        raise
    elapsed = time.monotonic() - started
    trials = study.trials
    print(file=out)
    done = [t for t in trials if t.state is TrialState.COMPLETE]
    if not done:
        print(f"No trial of study {study_name!r} completed; see `error` in the trials.", file=out)
        return 1
    best = study.best_trial
    print(
        f"Ran {len(trials) - before} trials in {elapsed:.1f} s; the study has {len(trials)} "
        f"({len(done)} complete).",
        file=out,
    )
    print(f"Best: trial {best.number}, cross-validated accuracy {best.value:.4f}", file=out)
    pad = max((len(n) for n in best.params), default=0)
    for name, value in best.params.items():
        print(f"  {name:<{pad}} = {_fmt_param(value)}", file=out)
    print(file=out)
    prefix = "tunesmith"
    if storage_url != default_storage_url:
        prefix += f" --storage {shlex.quote(storage_url)}"
    quoted = shlex.quote(study_name)
    demo_again = f"{prefix} demo" + ("" if study_name == "demo" else f" --study-name {quoted}")
    hints = [
        (f"{prefix} trials {quoted}", "every trial, as a table (or --format csv|json)"),
        (f"{prefix} best {quoted}", "the best configuration"),
        (demo_again, f"run again to add {n_trials} more trials"),
    ]
    pad = max(len(command) for command, _ in hints)
    print("Next:", file=out)
    for command, what in hints:
        print(f"  {command:<{pad}}  # {what}", file=out)
    return 0


def _trial_line(study: Study, trial: FrozenTrial, width: int) -> str:
    """One progress line: number, state, accuracy, running best, seconds, params."""
    score = f"{trial.value:.4f}" if trial.values is not None else "-"
    try:
        best = f"{study.best_value:.4f}"
    except ValueError:  # nothing complete yet
        best = "-"
    duration = trial.duration
    secs = f"{duration.total_seconds():.2f}s" if duration is not None else "-"
    line = (
        f"{trial.number:>{width}}  {trial.state.name:<8}  {score:>8}  {best:>6}  {secs:>6}  "
        f"{_fmt_params(trial.params)}"
    )
    if trial.error:
        line += f"  error: {trial.error}"
    return line


def _fmt_params(params: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={_fmt_param(v)}" for k, v in params.items())


def _fmt_param(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
