"""One ``TuneSearchCV.fit``: the fold evaluator that fits trials and tells the study.

``_Search`` holds the data, the splits, the scorers and the rows of ``cv_results_``; called with a
batch of trials, it fits them fold by fold (or epoch by epoch with early stopping) in joblib
workers, reports and prunes between folds, and tells the study how each trial ended. See
``tunesmith.sklearn`` for the semantics.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
import warnings
from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..distributions import choice_key
from ..pruners import NopPruner
from ..records import FrozenTrial, TrialState
from ..space import Space, UnionSpace
from ..trial import Trial
from ._compat import (
    Parallel,
    _fit_and_score,
    _insert_error_scores,
    _MultimetricScorer,
    _warn_or_raise_about_fit_failures,
    clone,
    delayed,
    effective_n_jobs,
    is_classifier,
)
from ._incremental import (
    PARTIAL_FIT,
    after_epoch,
    fit,
    one_epoch,
    rounds,
    train_epoch,
    training_kind,
)
from ._record import RECORD_KEY, fingerprint, fold_record, read_record

if TYPE_CHECKING:
    from ..study import Study

_MAX_DUPLICATE_STREAK = 100  # duplicate proposals in a row after which the search stops
_EXACT_SIZE_LIMIT = 100_000  # finite spaces up to this bound are counted exactly
_NON_FINITE = "One or more of the .* scores are non-finite"


class _Owner(Protocol):
    """What the evaluator reads of its ``TuneSearchCV``: the search's settings, its study, and
    two methods of scikit-learn's ``BaseSearchCV``."""

    @property
    def estimator(self) -> Any: ...
    @property
    def scoring(self) -> Any: ...
    @property
    def refit(self) -> Any: ...
    @property
    def n_jobs(self) -> int | None: ...
    @property
    def timeout(self) -> float | None: ...
    @property
    def early_stopping(self) -> bool: ...
    @property
    def max_epochs(self) -> int: ...
    @property
    def error_score(self) -> Any: ...
    @property
    def return_train_score(self) -> bool: ...
    @property
    def verbose(self) -> int: ...
    @property
    def study_(self) -> Study: ...

    def _format_results(
        self, candidate_params: Any, n_splits: int, out: Any, more_results: Any = None
    ) -> dict[str, Any]: ...

    def _check_refit_for_multimetric(self, scores: Any) -> None: ...


@dataclass
class _Row:
    """One row of ``cv_results_``: a trial and its fold results (``None`` for a fold not fitted)."""

    number: int
    params: dict[str, Any]
    outs: list[dict[str, Any] | None]
    state: TrialState
    n_epochs: int | None


@dataclass
class _Run:
    """A trial being evaluated."""

    trial: Trial
    key: Any
    outs: list[dict[str, Any] | None]
    running: bool = True
    n_epochs: int = 0
    max_epochs: int = 0
    schedule: list[int] | None = None  # warm start: n_estimators of each round
    estimators: list[Any] = field(default_factory=list)  # early stopping: one per fold
    error: str | None = None


class _Search:
    """The state of one ``TuneSearchCV.fit``: data, splits, scorers, the study and the rows.

    Called with a batch of trials, it fits them and tells the study (see the module docs).
    """

    def __init__(
        self,
        owner: _Owner,
        space: Space | UnionSpace,
        *,
        X: Any,
        y: Any,
        splits: list[tuple[Any, Any]],
        scorers: Any,
        routed: Any,
    ) -> None:
        self.owner, self.study, self.space = owner, owner.study_, space
        self.X, self.y, self.splits, self.scorers = X, y, splits, scorers
        self.fit_params = routed.estimator.fit
        self.score_params = routed.scorer.score
        self.base = clone(owner.estimator)
        self.kind = training_kind(self.base) if owner.early_stopping else None
        use_classes = self.kind == PARTIAL_FIT and is_classifier(self.base) and y is not None
        self.classes = np.unique(y) if use_classes else None
        self.batch_size = max(1, int(effective_n_jobs(owner.n_jobs)))
        self.parallel = Parallel(n_jobs=owner.n_jobs, pre_dispatch="2*n_jobs")
        self.deadline = None if owner.timeout is None else time.monotonic() + owner.timeout
        self.batches = 0
        self.space_size = _finite_size(space)
        self.metric, self.multimetric = self._known_metric()
        self.rows: list[_Row] = []
        self.seen: dict[Any, FrozenTrial] = {}  # configuration -> the trial that evaluated it
        self.seen_in_space: set[Any] = set()
        self.duplicate_streak = 0
        self.fits: list[dict[str, Any]] = []  # fold results of this fit, for the failure warning
        self.fingerprint = self._fingerprint()
        self._resume()

    # -- set-up ----------------------------------------------------------------------------------
    def _known_metric(self) -> tuple[str | None, bool | None]:
        """The metric the study maximizes and whether there are several (None: not yet known)."""
        if callable(self.owner.scoring):
            return None, None  # known from the first scores
        if isinstance(self.scorers, _MultimetricScorer):
            refit = self.owner.refit
            return (refit if isinstance(refit, str) else next(iter(self.scorers._scorers))), True
        return "score", False

    def _learn_metric(self, scores: Any) -> None:
        if self.metric is not None:
            return
        if isinstance(scores, Mapping):
            self.owner._check_refit_for_multimetric(scores)
            refit = self.owner.refit
            self.metric = refit if isinstance(refit, str) else next(iter(scores))
            self.multimetric = True
        else:
            self.metric, self.multimetric = "score", False

    def _fingerprint(self) -> str | None:
        owner = self.owner
        return fingerprint(
            (
                self.X,
                self.y,
                [(np.asarray(a), np.asarray(b)) for a, b in self.splits],
                clone(owner.estimator),
                owner.scoring,
                bool(owner.return_train_score),
                bool(owner.early_stopping),
                owner.max_epochs if owner.early_stopping else None,
                self.fit_params,
                self.score_params,
            )
        )

    def _resume(self) -> None:
        """Rows for the study's trials that earlier fits evaluated on the same data."""
        if self.fingerprint is None:
            return
        done = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        for t in self.study.get_trials(done):
            found = read_record(t.user_attrs, self.fingerprint)
            if found is None:
                continue
            outs, n_epochs = found
            self.rows.append(_Row(t.number, dict(t.params), outs, t.state, n_epochs))
            self._remember(_config_key(t.params), t)
            for out in outs:
                if out is not None and out["fit_error"] is None:
                    self._learn_metric(out["test_scores"])

    def _remember(self, key: Any, trial: FrozenTrial) -> None:
        self.seen[key] = trial
        try:
            self.space.validate(trial.params)
        except ValueError:
            return
        self.seen_in_space.add(key)

    @property
    def stopped(self) -> bool:
        """Timeout passed (after the first batch), space exhausted, or stuck on duplicates."""
        return (
            (self.deadline is not None and self.batches > 0 and time.monotonic() > self.deadline)
            or (self.space_size is not None and len(self.seen_in_space) >= self.space_size)
            or self.duplicate_streak >= _MAX_DUPLICATE_STREAK
        )

    # -- a batch ---------------------------------------------------------------------------------
    def __call__(self, trials: Sequence[Trial]) -> int:
        """Fit the new configurations among ``trials``, tell every trial; return how many new."""
        self.batches += 1
        runs, duplicates = self._split_duplicates(trials)
        try:
            if self.kind is None:
                self._by_folds(runs)
            else:
                self._by_epochs(runs)
            for trial, key in duplicates:
                self._tell_duplicate(trial, key)
        except BaseException:  # "raise", Ctrl-C: no trial may stay RUNNING
            self._fail_unfinished([r.trial for r in runs if r.running] + [t for t, _ in duplicates])
            raise
        return len(runs)

    def _split_duplicates(self, trials: Sequence[Trial]) -> tuple[list[_Run], list[Any]]:
        runs: list[_Run] = []
        duplicates: list[tuple[Trial, Any]] = []
        batch: set[Any] = set()
        for trial in trials:
            key = _config_key(trial.params)
            if key in self.seen or key in batch:
                duplicates.append((trial, key))
                self.duplicate_streak += 1
            else:
                batch.add(key)
                runs.append(_Run(trial, key, [None] * len(self.splits)))
                self.duplicate_streak = 0
        return runs, duplicates

    def _tell_duplicate(self, trial: Trial, key: Any) -> None:
        original = self.seen[key]
        trial.set_user_attr("duplicate_of", original.number)
        if original.state is TrialState.COMPLETE:
            self.study.tell(trial, original.value)
        elif original.state is TrialState.PRUNED:
            self.study.tell(trial, original.value, state="PRUNED")
        else:
            self.study.tell(trial, state="FAIL")
        if self.owner.verbose > 0:
            print(
                f"[TuneSearchCV] trial {trial.number}: duplicate of trial {original.number}, "
                "not refitted",
                flush=True,
            )

    def _fail_unfinished(self, trials: list[Trial]) -> None:
        for trial in trials:
            with contextlib.suppress(Exception):  # already told, or the storage is gone
                self.study.tell(trial, state="FAIL")

    # -- fold by fold ----------------------------------------------------------------------------
    def _by_folds(self, runs: list[_Run]) -> None:
        n = len(self.splits)
        pruning = not _is_nop(getattr(self.study, "pruner", None))
        rounds = [[i] for i in range(n)] if pruning else [list(range(n))]
        for folds in rounds:
            jobs = [(r, i) for r in runs if r.running for i in folds]
            outs = self.parallel(
                delayed(_fit_and_score)(
                    clone(self.base),
                    self.X,
                    self.y,
                    train=self.splits[i][0],
                    test=self.splits[i][1],
                    parameters=r.trial.params,
                    split_progress=(i, n),
                    **self._fit_kwargs(),
                )
                for r, i in jobs
            )
            for (r, i), out in zip(jobs, outs, strict=True):
                r.outs[i] = out
                if r.running:
                    self._step(r, i, last=n - 1)
        for r in runs:
            if r.running:
                self._conclude(r, None)

    def _fit_kwargs(self) -> dict[str, Any]:
        owner = self.owner
        return {
            "scorer": self.scorers,
            "fit_params": self.fit_params,
            "score_params": self.score_params,
            "return_train_score": owner.return_train_score,
            "return_n_test_samples": True,
            "return_times": True,
            "error_score": owner.error_score,
            "verbose": owner.verbose,
        }

    def _step(self, r: _Run, step: int, *, last: int) -> None:
        """Report the running mean after a fold (or epoch); stop the trial if it failed or is
        pruned."""
        failed = [out for out in r.outs if out is not None and out["fit_error"] is not None]
        if failed:
            r.error = _last_line(failed[0]["fit_error"])
            if _is_nan(self.owner.error_score):
                self._conclude(r, TrialState.FAIL)
                return
        for out in r.outs:
            if out is not None and out["fit_error"] is None:
                self._learn_metric(out["test_scores"])
        r.trial.report(self._mean(r), step)
        if step < last and r.trial.should_prune():
            self._conclude(r, TrialState.PRUNED)

    def _mean(self, r: _Run) -> float:
        values = [_metric_of(out["test_scores"], self.metric) for out in r.outs if out is not None]
        return float(np.mean(values)) if values else math.nan

    def _conclude(self, r: _Run, state: TrialState | None) -> None:
        """Tell the study how the trial ended and add its row."""
        r.running = False
        trial = r.trial
        n_epochs = r.n_epochs if self.kind is not None else None
        trial.set_user_attr(RECORD_KEY, fold_record(self.fingerprint, n_epochs, r.outs))
        if self.kind is not None:
            trial.set_user_attr("n_epochs", r.n_epochs)
        if r.error is not None:
            trial.set_user_attr("fit_error", r.error)
        if state is None:
            frozen = self.study.tell(trial, self._mean(r))
        else:
            frozen = self.study.tell(trial, state=state.name)
        self.fits.extend(out for out in r.outs if out is not None)
        self._remember(r.key, frozen)
        self.rows.append(_Row(frozen.number, dict(frozen.params), r.outs, frozen.state, None))
        if self.kind is not None:
            self.rows[-1].n_epochs = r.n_epochs
        if self.owner.verbose > 0:
            self._say(frozen, r)

    def _say(self, frozen: FrozenTrial, r: _Run) -> None:
        fitted = sum(out is not None for out in r.outs)
        value = "-" if frozen.value is None else f"{frozen.value:.4f}"
        epochs = f", {r.n_epochs} epochs" if self.kind is not None else ""
        params = " ".join(f"{k}={v!r}" for k, v in frozen.params.items())
        print(
            f"[TuneSearchCV] trial {frozen.number}: {frozen.state.name} {self.metric}={value} "
            f"({fitted}/{len(r.outs)} folds{epochs}) {params}",
            flush=True,
        )

    # -- epoch by epoch --------------------------------------------------------------------------
    def _by_epochs(self, runs: list[_Run]) -> None:
        for r in runs:
            self._prepare(r)
        for epoch in range(self.owner.max_epochs):
            jobs = [
                (r, i)
                for r in runs
                if r.running
                for i, out in enumerate(r.outs)
                if out is None or out["fit_error"] is None
            ]
            if not jobs:
                break
            results = self.parallel(
                delayed(train_epoch)(
                    r.estimators[i],
                    self.X,
                    self.y,
                    train=self.splits[i][0],
                    test=self.splits[i][1],
                    first=epoch == 0,
                    grow=None if r.schedule is None else (self.kind, r.schedule[epoch]),
                    classes=self.classes,
                    **self._epoch_kwargs(),
                )
                for r, i in jobs
            )
            for (r, i), (estimator, out) in zip(jobs, results, strict=True):
                r.estimators[i] = estimator
                r.outs[i] = after_epoch(r.outs[i], out)
            for r in runs:
                if r.running:
                    r.n_epochs = epoch + 1
                    self._step(r, epoch, last=r.max_epochs - 1)
                if r.running and r.n_epochs == r.max_epochs:
                    self._conclude(r, None)
        for r in runs:  # every fold failed, with a finite error_score
            if r.running:
                self._conclude(r, None)

    def _prepare(self, r: _Run) -> None:
        """One fresh estimator per fold; for warm start, the rounds' ``n_estimators``."""
        estimator = clone(self.base).set_params(**clone(r.trial.params, safe=False))
        r.max_epochs = self.owner.max_epochs
        if self.kind is not None and self.kind != PARTIAL_FIT:
            prefix = self.kind
            estimator.set_params(**{f"{prefix}warm_start": True})
            r.schedule = rounds(estimator.get_params()[f"{prefix}n_estimators"], r.max_epochs)
            r.max_epochs = len(r.schedule)
        r.estimators = [clone(estimator) for _ in self.splits]

    def _epoch_kwargs(self) -> dict[str, Any]:
        return {
            "scorer": self.scorers,
            "fit_params": self.fit_params,
            "score_params": self.score_params,
            "return_train_score": self.owner.return_train_score,
            "error_score": self.owner.error_score,
        }

    # -- results ---------------------------------------------------------------------------------
    def results(self) -> dict[str, Any]:
        """``cv_results_`` of every row, by scikit-learn's ``_format_results``."""
        error_score = self.owner.error_score
        if self.fits:
            _warn_or_raise_about_fit_failures(self.fits, error_score)
        rows = sorted(self.rows, key=lambda row: row.number)
        if not rows:
            raise ValueError(
                "No fits were performed: the study had no configuration left to try "
                f"(study {self.study.study_name!r} has {len(self.study.trials)} trials)."
            )
        fitted = [out for row in rows for out in row.outs if out is not None]
        if callable(self.owner.scoring):
            _insert_error_scores(fitted, error_score)
        blank = _blank_out(fitted, self.owner.return_train_score)
        outs = [blank if out is None else out for row in rows for out in row.outs]
        more: dict[str, list[Any]] = {
            "trial_number": [row.number for row in rows],
            "state": [row.state.name for row in rows],
        }
        if self.kind is not None:
            more["n_epochs"] = [row.n_epochs or 0 for row in rows]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_NON_FINITE, category=UserWarning)
            results: dict[str, Any] = self.owner._format_results(
                [row.params for row in rows], len(self.splits), outs, more
            )
        self._warn_non_finite(results, rows)
        return results

    def _warn_non_finite(self, results: dict[str, Any], rows: list[_Row]) -> None:
        """scikit-learn's warning about non-finite mean scores, for rows that are not pruned
        folds short (those are NaN by design)."""
        short = np.array([any(out is None for out in row.outs) for row in rows])
        for key in sorted(results):
            if key.startswith(("mean_test_", "mean_train_")):
                means = np.asarray(results[key], dtype=float)
                if np.any(~np.isfinite(means[~short])):
                    kind = key.split("_")[1]
                    warnings.warn(
                        f"One or more of the {kind} scores are non-finite: {means}",
                        category=UserWarning,
                        stacklevel=4,
                    )

    def refit(self, params: dict[str, Any], n_epochs: Any) -> tuple[Any, float]:
        """The best configuration fitted on all the data, and the seconds it took."""
        estimator = clone(self.base).set_params(**clone(params, safe=False))
        epochs = int(n_epochs) if n_epochs else self.owner.max_epochs
        fit_params = self.fit_params
        start = time.time()
        if self.kind is None:
            fit(estimator, self.X, self.y, fit_params)
        elif self.kind == PARTIAL_FIT:
            for epoch in range(epochs):
                one_epoch(
                    estimator,
                    self.X,
                    self.y,
                    first=epoch == 0,
                    grow=None,
                    classes=self.classes,
                    fit_params=fit_params,
                )
        else:
            n_estimators = estimator.get_params()[f"{self.kind}n_estimators"]
            schedule = rounds(n_estimators, self.owner.max_epochs)  # as the trials grew
            grown = schedule[min(epochs, len(schedule)) - 1]
            estimator.set_params(**{f"{self.kind}n_estimators": grown})
            fit(estimator, self.X, self.y, fit_params)
        return estimator, time.time() - start


def _config_key(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Hashable identity of a configuration (``1``, ``1.0`` and ``True`` differ)."""
    return tuple(sorted((name, choice_key(value)) for name, value in params.items()))


def _finite_size(space: Space | UnionSpace) -> int | None:
    """Number of configurations of a finite space, or None (continuous, or too many to count)."""
    subspaces = space.spaces if isinstance(space, UnionSpace) else (space,)
    bound = 0
    for sub in subspaces:
        product = 1
        for dist in sub.distributions.values():
            count = dist.n_values()
            if count is None:
                return None
            product *= count
        bound += product
    if bound > _EXACT_SIZE_LIMIT:
        return None
    return len({_config_key(c) for c in space.grid()})


def _metric_of(scores: Any, metric: str | None) -> float:
    if isinstance(scores, Mapping):
        return float(scores[metric if metric is not None else next(iter(scores))])
    return float(scores)


def _blank_out(fitted: list[dict[str, Any]], train: bool) -> dict[str, Any]:
    """The result of a fold that was not fitted: NaN scores and times."""
    shaped = next((o["test_scores"] for o in fitted if isinstance(o["test_scores"], Mapping)), None)
    scores: Any = math.nan if shaped is None else dict.fromkeys(shaped, math.nan)
    out = {
        "fit_error": None,
        "fit_time": math.nan,
        "score_time": math.nan,
        "test_scores": scores,
        "n_test_samples": 0,
    }
    if train:
        out["train_scores"] = deepcopy(scores)
    return out


def _last_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else str(text)


def _is_nan(value: Any) -> bool:
    return isinstance(value, numbers.Real) and math.isnan(value)


def _is_nop(pruner: Any) -> bool:
    return isinstance(pruner, NopPruner)
