"""scikit-learn adapter: ``TuneSearchCV``, a search estimator driven by a tunesmith study.

``TuneSearchCV`` is a drop-in replacement for ``GridSearchCV`` / ``RandomizedSearchCV``: the same
constructor arguments where they overlap, the same fitted attributes and the same ``cv_results_``
layout. The configurations come from a study (Bayesian optimization by default), trials that fall
behind are pruned after a fold (or, with ``early_stopping=True``, after an epoch), and the study
can live in a database so that a search can be resumed.

Example:
    >>> import tunesmith as ts
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from tunesmith.sklearn import TuneSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = TuneSearchCV(SVC(), {"C": ts.Float(1e-2, 1e2, log=True)}, n_trials=6, cv=3,
    ...                       random_state=0)
    >>> bool(search.fit(X, y).best_score_ > 0.9)
    True

scikit-learn is the ``[sklearn]`` extra: ``import tunesmith`` does not import it, this module does.

How ``fit`` works
-----------------
1. The arguments are checked (``n_trials``, ``max_epochs``, ``timeout``, the names of
   ``param_space`` against the estimator's parameters...) before anything is fitted.
2. The scorers (``check_scoring`` / ``_check_multimetric_scoring``), the CV splits (computed once:
   every trial sees the same folds) and the study are set up. Trials that earlier fits stored in
   the study, on the same data, splits, estimator and scoring, become rows again (a resumed
   search; see "Resuming").
3. ``_run_search`` asks the study for ``n_jobs`` trials at a time (``study.ask(space, n=k)``
   proposes ``k`` diverse configurations) and hands each batch to the evaluator, which
   - without early stopping, fits one fold of every trial of the batch in parallel with
     scikit-learn's own ``_fit_and_score``; back in this process each trial reports the mean
     score of its folds so far (``trial.report(mean, step=fold)``) and asks
     ``trial.should_prune()``. With ``NopPruner`` all folds of the batch run at once;
   - with early stopping, trains every fold of every trial of the batch for one epoch in parallel
     and scores it; each trial reports the mean validation score over its folds
     (``step=epoch``) and asks ``trial.should_prune()``.
   The study never leaves this process: workers receive estimators and data only.
4. Each finished trial is told to the study (COMPLETE with its mean CV score, PRUNED, or FAIL)
   and becomes one row. ``cv_results_`` is built by scikit-learn's own ``_format_results``, so
   its keys, dtypes and masked ``param_*`` arrays are GridSearchCV's, plus ``trial_number``,
   ``state`` and, with early stopping, ``n_epochs``.
5. ``best_index_``, ``best_params_``, ``best_score_`` and the refit follow GridSearchCV's rules.

Why ``fit`` is overridden: ``BaseSearchCV.fit`` evaluates candidates through
``evaluate_candidates``, which fits every fold of every candidate in one call (and refuses a call
that fits fewer splits), so neither pruning after a fold nor training epoch by epoch can go
through it. ``fit`` therefore runs its own loop out of scikit-learn's pieces (``check_cv``,
``_get_scorers``, metadata routing, ``_fit_and_score``, ``_format_results``,
``_select_best_index``). ``_run_search`` keeps its role as the seam for the search strategy:
it decides which trials are evaluated and when to stop, and receives tunesmith's evaluator
(``evaluate(trials)``) instead of ``evaluate_candidates``.

Semantics
---------
Optimized metric: the study maximizes the mean test score of one metric, ``"score"`` for a single
metric, the ``refit`` metric when ``refit`` is a string, and otherwise (``refit`` a callable or
False) the first metric of ``scoring`` (for a callable returning a dict, its first key).

Pruned trials: a trial pruned after fold ``k`` is PRUNED in the study (with its last reported
value, the mean of its first ``k + 1`` folds). Its row keeps the scores of the folds it fitted;
the folds it did not fit are NaN (times too), so its ``mean_test_*`` is NaN and it ranks last,
like a configuration whose fits failed with ``error_score=np.nan``. With early stopping every
fold is scored at every epoch, so a trial pruned after epoch ``e`` has a full cross-validated
score for what it trained (its configuration for ``e + 1`` epochs): its row holds those scores and
ranks with the others, and when it is the best, the refit trains that many epochs.

Duplicates: a configuration already evaluated in this search (this fit, or an earlier fit whose
rows are resumed) is never fitted again. The trial that proposed it is told at once with the
earlier trial's state and value (user attribute ``duplicate_of``), so the sampler learns it, and
it adds no row. ``n_trials`` counts the configurations fitted, so duplicates do not use it up.
The search stops early when a finite space has no configuration left, the sampler has no
proposal left (``SearchSpaceExhausted``), or after 100 duplicate proposals in a row.

error_score: a fit that fails gives its fold ``error_score`` and a ``FitFailedWarning``, as in
scikit-learn; if every fit of this ``fit`` call failed, a ``ValueError`` is raised. With
``error_score=np.nan`` (the default) the configuration's mean is NaN whatever its other folds
give, so its trial stops at once and is told FAIL (its unfitted folds are NaN too). With a finite
``error_score`` the trial goes on (a fold whose epoch failed keeps ``error_score`` for the later
epochs) and is told COMPLETE with the mean that includes it. Either way the trial gets the user
attribute ``fit_error``. ``error_score="raise"`` re-raises the estimator's own exception after
telling the running trials FAIL.

Early stopping (``early_stopping=True``): an estimator with ``partial_fit`` is trained one
``partial_fit`` pass over the fold's training data per epoch (``classes=`` on the first pass of a
classifier), for at most ``max_epochs`` epochs. In a ``Pipeline`` whose last step has
``partial_fit`` (a scaler then ``SGDClassifier``, say), the steps before it are fitted on the first
epoch's data and only transform afterwards (fit parameters are named ``step__param``, as for
``Pipeline.fit``). An estimator with ``warm_start`` and
``n_estimators`` (also as the last step of a ``Pipeline``) grows in ``r = min(max_epochs,
n_estimators)`` rounds: round ``k = 1..r`` fits with ``warm_start=True`` and
``n_estimators = ceil(k * n_estimators / r)``, so the last round has them all. The default pruner
is then ``SuccessiveHalvingPruner()``. Each trial records the epochs (rounds) it trained in the
user attribute ``n_epochs`` and the ``n_epochs`` column. The refit trains the best configuration
on all the data for the best row's ``n_epochs``: that many ``partial_fit`` passes, or one ``fit``
with the ``n_estimators`` of that round (so ``best_estimator_`` may have fewer estimators than
``best_params_`` names when the best trial was pruned). Times: ``fit_time`` is the sum over the
epochs, ``score_time`` the scoring after the last one.

Resuming: every evaluated trial stores its fold results in the user attribute ``cv_record``,
with a fingerprint of the data, splits, estimator, scoring, ``return_train_score``,
``early_stopping`` and ``max_epochs``. A search given a ``study`` that holds such trials with the
same fingerprint resumes: they are rows of ``cv_results_`` again (and candidates for
``best_*``), their configurations are not refitted, and ``n_trials`` more are evaluated.

``timeout``: no new batch is asked once ``timeout`` seconds have passed since ``fit`` started
(the first batch always runs; running batches finish).
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
from traceback import format_exc
from typing import Any, ClassVar

import numpy as np

from ._errors import MissingExtraError, SearchSpaceExhausted
from .pruners import BasePruner, MedianPruner, NopPruner, SuccessiveHalvingPruner
from .samplers import AutoSampler, BaseSampler
from .space import Categorical, Float, Int, Space, UnionSpace, _choice_key, as_space
from .study import Study, create_study
from .trial import FrozenTrial, Trial, TrialState

try:
    from joblib import effective_n_jobs  # type: ignore[import-untyped]
    from joblib import hash as joblib_hash
    from sklearn.base import _clone_parametrized, _fit_context, clone, is_classifier
    from sklearn.metrics._scorer import _MultimetricScorer
    from sklearn.model_selection import check_cv
    from sklearn.model_selection._search import BaseSearchCV
    from sklearn.model_selection._validation import (
        _fit_and_score,
        _insert_error_scores,
        _score,
        _warn_or_raise_about_fit_failures,
    )
    from sklearn.pipeline import Pipeline
    from sklearn.utils.metaestimators import _safe_split
    from sklearn.utils.parallel import Parallel, delayed
    from sklearn.utils.validation import _check_method_params, indexable
except ImportError as exc:
    raise MissingExtraError(
        "tunesmith.sklearn needs scikit-learn: pip install 'tunesmith[sklearn]'"
    ) from exc

__all__ = ["DEFAULT_MAX_EPOCHS", "TuneSearchCV"]

#: Default of ``max_epochs``: ``partial_fit`` passes, or rounds a warm-started ensemble grows in.
DEFAULT_MAX_EPOCHS = 10

_MAX_DUPLICATE_STREAK = 100  # duplicate proposals in a row after which the search stops
_EXACT_SIZE_LIMIT = 100_000  # finite spaces up to this bound are counted exactly
_NON_FINITE = "One or more of the .* scores are non-finite"
_PARTIAL_FIT = "partial_fit"


class TuneSearchCV(BaseSearchCV):  # type: ignore[misc]
    """Search hyperparameters with a tunesmith study, as ``GridSearchCV`` does over a grid.

    Args:
        estimator: A scikit-learn estimator (or pipeline); cloned for every fit.
        param_space: Name -> domain, with pipeline names such as ``"svc__C"``: tunesmith
            distributions (``ts.Float(1e-3, 1e3, log=True)``, ``ts.Int``, ``ts.Categorical``),
            lists of values, or frozen ``scipy.stats`` distributions; or a list of such dicts
            (disjoint sub-spaces, as a list of grids in GridSearchCV); or a ``ts.Space``.
        n_trials: Configurations to fit in this ``fit`` (duplicates and resumed trials aside).
        sampler: A tunesmith sampler; default ``AutoSampler(seed=random_state)``.
        pruner: A tunesmith pruner; default ``MedianPruner(n_warmup_steps=1)`` (a trial is
            compared with the others from its second fold on), or ``SuccessiveHalvingPruner()``
            with ``early_stopping=True``. ``ts.pruners.NopPruner()`` turns pruning off.
        scoring: As in GridSearchCV: None (the estimator's ``score``), a name, a callable, or a
            list / dict of them for several metrics.
        refit: As in GridSearchCV: refit the best configuration on all the data (True, the name
            of a metric, or a callable choosing the best index), or not (False).
        cv: As in GridSearchCV: an int, a splitter or an iterable of splits.
        n_jobs: Parallel fits (joblib); also the number of trials asked at once.
        random_state: Seed (int or ``RandomState``) of the default sampler.
        timeout: Seconds after which no new batch of trials is started.
        early_stopping: Train epoch by epoch and prune between epochs (see the module docs).
        max_epochs: Epochs (``partial_fit`` passes, or warm-start rounds) per trial, default
            ``DEFAULT_MAX_EPOCHS`` (10).
        error_score: Score of a failed fit (numeric), or ``"raise"``.
        return_train_score: Also compute the scores on the training folds.
        study: A study to use as is (``direction="maximize"``), e.g. on a database so a search
            can be resumed; give it instead of ``sampler``, ``pruner`` and ``random_state``.
            Clones of this estimator share it.
        verbose: ``> 0`` prints one line per trial; ``> 1`` also scikit-learn's per-fit lines.

    Attributes:
        cv_results_: GridSearchCV's dict of arrays, one row per fitted trial in trial order, plus
            ``trial_number``, ``state`` (``"COMPLETE"``, ``"PRUNED"``, ``"FAIL"``) and, with early
            stopping, ``n_epochs``.
        best_estimator_: The best configuration refitted on all the data (``refit`` not False);
            its learned attributes (``coef_``...) are the fitted parameters.
        best_score_: Mean CV score of the best row (not with a callable ``refit``).
        best_params_: Parameters of the best row.
        best_index_: Index of the best row in ``cv_results_``.
        scorer_: The scorer, or dict of scorers.
        n_splits_: Number of CV splits.
        refit_time_: Seconds spent refitting.
        multimetric_: Whether several metrics were scored.
        study_: The study the trials are in.

    Example:
        >>> import tunesmith as ts
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.linear_model import RidgeClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> search = TuneSearchCV(RidgeClassifier(), {"alpha": [0.01, 0.1, 1.0, 10.0]},
        ...                       n_trials=10, cv=3, random_state=0).fit(X, y)
        >>> len(search.cv_results_["params"])  # the 4 configurations, each fitted once
        4
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **{k: v for k, v in BaseSearchCV._parameter_constraints.items() if k != "pre_dispatch"},
        **dict.fromkeys(
            (
                "param_space",
                "n_trials",
                "sampler",
                "pruner",
                "random_state",
                "timeout",
                "early_stopping",
                "max_epochs",
                "study",
            ),
            "no_validation",  # checked in fit, with messages that say what is allowed
        ),
    }

    def __init__(
        self,
        estimator: Any,
        param_space: Any,
        *,
        n_trials: int = 50,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
        scoring: Any = None,
        refit: bool | str | Any = True,
        cv: Any = None,
        n_jobs: int | None = None,
        random_state: Any = None,
        timeout: float | None = None,
        early_stopping: bool = False,
        max_epochs: int = DEFAULT_MAX_EPOCHS,
        error_score: float | str = np.nan,
        return_train_score: bool = False,
        study: Study | None = None,
        verbose: int = 0,
    ) -> None:
        # BaseSearchCV.__init__ would also set pre_dispatch, which is not a parameter here.
        self.estimator = estimator
        self.param_space = param_space
        self.n_trials = n_trials
        self.sampler = sampler
        self.pruner = pruner
        self.scoring = scoring
        self.refit = refit
        self.cv = cv
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.timeout = timeout
        self.early_stopping = early_stopping
        self.max_epochs = max_epochs
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.study = study
        self.verbose = verbose

    # -- fit -------------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X: Any, y: Any = None, **params: Any) -> TuneSearchCV:
        """Search the space on ``X, y``, then refit the best configuration (``refit``).

        Args:
            X: Training data, ``n_samples x n_features``.
            y: Targets, or None for unsupervised estimators.
            **params: Passed on as GridSearchCV does: fit parameters (``sample_weight``...),
                ``groups`` for the splitter, or routed metadata.

        Returns:
            self, fitted.

        Raises:
            ValueError, TypeError: A bad argument, before anything is fitted.
        """
        space = self._check_arguments()
        scorers, refit_metric = self._get_scorers()
        X, y = indexable(X, y)
        params = _check_method_params(X, params=params)
        routed = self._get_routed_params_for_fit(params)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self.n_splits_ = cv.get_n_splits(X, y, **routed.splitter.split)
        splits = list(cv.split(X, y, **routed.splitter.split))
        if len(splits) != self.n_splits_:
            raise ValueError(
                "cv.split and cv.get_n_splits return inconsistent results. "
                f"Expected {self.n_splits_} splits, got {len(splits)}"
            )
        self.study_ = self._make_study()
        search = _Search(self, space, X=X, y=y, splits=splits, scorers=scorers, routed=routed)
        with search.parallel:
            self._run_search(search)
        results = search.results()
        self.multimetric_ = bool(search.multimetric)
        if callable(self.scoring) and self.multimetric_:
            refit_metric = self.refit
        self._select_best(results, refit_metric)
        if self.refit:
            self._refit_best(search, results)
        self.scorer_ = scorers._scorers if isinstance(scorers, _MultimetricScorer) else scorers
        self.cv_results_ = results
        return self

    def _run_search(self, evaluate: _Search) -> None:
        """Ask the study for trials, ``n_jobs`` at a time, until ``n_trials`` are fitted.

        ``evaluate(trials)`` fits a batch of trials of ``self.study_`` (fold by fold or epoch by
        epoch, pruning as the study's pruner says), tells the study and returns how many new
        configurations it fitted (duplicates are told without fitting). ``evaluate.space`` is
        the space to ask in, ``evaluate.batch_size`` the parallelism and ``evaluate.stopped``
        turns True on timeout or when a finite space is exhausted. Override to schedule trials
        differently, e.g. ``self.study_.enqueue_trial(...)`` known configurations first.
        """
        left = self.n_trials
        while left > 0 and not evaluate.stopped:
            try:
                trials = self.study_.ask(evaluate.space, n=min(evaluate.batch_size, left))
            except SearchSpaceExhausted:
                return
            left -= evaluate(trials)

    def _select_best(self, results: dict[str, Any], refit_metric: Any) -> None:
        """``best_index_``, ``best_score_`` and ``best_params_``, by GridSearchCV's rules."""
        if not self.refit and self.multimetric_:
            return
        self.best_index_ = self._select_best_index(self.refit, refit_metric, results)
        if not callable(self.refit):
            self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
        self.best_params_ = results["params"][self.best_index_]

    def _refit_best(self, search: _Search, results: dict[str, Any]) -> None:
        """``best_estimator_``: the best row's configuration (and epochs) on all the data."""
        n_epochs = results["n_epochs"][self.best_index_] if "n_epochs" in results else None
        self.best_estimator_, self.refit_time_ = search.refit(self.best_params_, n_epochs)
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_

    # -- arguments -------------------------------------------------------------------------------
    def _check_arguments(self) -> Space | UnionSpace:
        """Refuse bad arguments before anything is fitted; return the space."""
        _check_count("n_trials", self.n_trials)
        _check_count("max_epochs", self.max_epochs)
        timeout: Any = self.timeout
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, numbers.Real)
            or not float(timeout) > 0
        ):
            raise ValueError(
                f"`timeout` must be None or a number of seconds > 0, but got timeout={timeout!r}."
            )
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise TypeError(
                "`early_stopping` must be True or False, but got "
                f"early_stopping={self.early_stopping!r}."
            )
        try:
            space = as_space(self.param_space)
        except TypeError:
            raise TypeError(
                "`param_space` must be a dict of parameter name -> domain (a tunesmith "
                "distribution, a list of values or a frozen scipy.stats distribution), a list of "
                f"such dicts or a tunesmith Space, but got param_space={self.param_space!r}."
            ) from None
        self._check_names(space)
        if self.early_stopping and _training_kind(self.estimator) is None:
            raise ValueError(
                "`early_stopping=True` needs an estimator with `partial_fit` (SGDClassifier, "
                "MLPClassifier, Perceptron...) or with `warm_start` and `n_estimators` "
                "(RandomForestClassifier, GradientBoostingRegressor...), itself or as the last "
                f"step of a Pipeline, but {type(self.estimator).__name__} has neither."
            )
        self._check_study_arguments()
        return space

    def _check_names(self, space: Space | UnionSpace) -> None:
        known = self.estimator.get_params(deep=True)
        unknown = [name for name in space.names if name not in known]
        if unknown:
            keys = "key" if len(unknown) == 1 else "keys"
            raise ValueError(
                f"`param_space` has {keys} {', '.join(map(repr, unknown))} that "
                f"{type(self.estimator).__name__} does not have; its parameters are: "
                f"{', '.join(sorted(known))}."
            )

    def _check_study_arguments(self) -> None:
        study = self.study
        if study is None:
            if self.sampler is not None and self.random_state is not None:
                raise ValueError(
                    "Give `sampler` or `random_state`, not both: `random_state` seeds the "
                    f"default sampler, so seed the sampler itself, but got sampler={self.sampler!r}"
                    f" and random_state={self.random_state!r}."
                )
            _seed_of(self.random_state)
            return
        if not isinstance(study, Study):
            raise TypeError(f"`study` must be a tunesmith Study or None, but got study={study!r}.")
        if study.directions != ("maximize",):
            raise ValueError(
                "`study` must have direction 'maximize' (the search maximizes the CV score), but "
                f"study {study.study_name!r} has directions {list(study.directions)}."
            )
        given = {n: getattr(self, n) for n in ("sampler", "pruner", "random_state")}
        given = {n: v for n, v in given.items() if v is not None}
        if given:
            listed = ", ".join(f"{n}={v!r}" for n, v in given.items())
            raise ValueError(
                "Give `study` or `sampler` / `pruner` / `random_state`, not both: a study brings "
                f"its own sampler and pruner, but got study={study!r} and {listed}."
            )

    def _make_study(self) -> Study:
        if self.study is not None:
            return self.study
        pruner = deepcopy(self.pruner)
        if pruner is None:
            # One fold is a noisy estimate: compare a trial from its second fold on.
            pruner = (
                SuccessiveHalvingPruner() if self.early_stopping else MedianPruner(n_warmup_steps=1)
            )
        sampler = deepcopy(self.sampler)
        if sampler is None:
            sampler = AutoSampler(seed=_seed_of(self.random_state))
        return create_study(direction="maximize", sampler=sampler, pruner=pruner)

    # -- copies ----------------------------------------------------------------------------------
    def __sklearn_clone__(self) -> TuneSearchCV:
        """A clone shares the ``study`` given to it: it is where the search's trials go (and
        resume from), not a setting to copy."""
        proxy = object.__new__(type(self))
        proxy.__dict__.update(self.__dict__)
        proxy.study = None
        new: TuneSearchCV = _clone_parametrized(proxy)
        new.study = self.study
        return new


# -- one fit ---------------------------------------------------------------------------------------
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
        owner: TuneSearchCV,
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
        self.kind = _training_kind(self.base) if owner.early_stopping else None
        use_classes = self.kind == _PARTIAL_FIT and is_classifier(self.base) and y is not None
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
        try:
            return str(
                joblib_hash(
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
            )
        except Exception:  # something that does not pickle (a lambda scorer): no resuming
            return None

    def _resume(self) -> None:
        """Rows for the study's trials that earlier fits evaluated on the same data."""
        if self.fingerprint is None:
            return
        done = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
        for t in self.study.get_trials(done):
            record = t.user_attrs.get("cv_record")
            if not isinstance(record, Mapping) or record.get("fingerprint") != self.fingerprint:
                continue
            outs = [None if f is None else _out_from_json(f) for f in record["folds"]]
            self.rows.append(_Row(t.number, dict(t.params), outs, t.state, record["n_epochs"]))
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
        trial.set_user_attr("cv_record", self._record(r))
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

    def _record(self, r: _Run) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "n_epochs": r.n_epochs if self.kind is not None else None,
            "folds": [None if out is None else _out_to_json(out) for out in r.outs],
        }

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
                delayed(_train_epoch)(
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
                r.outs[i] = _after_epoch(r.outs[i], out)
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
        if self.kind is not None and self.kind != _PARTIAL_FIT:
            prefix = self.kind
            estimator.set_params(**{f"{prefix}warm_start": True})
            r.schedule = _rounds(estimator.get_params()[f"{prefix}n_estimators"], r.max_epochs)
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
            _fit(estimator, self.X, self.y, fit_params)
        elif self.kind == _PARTIAL_FIT:
            for epoch in range(epochs):
                _one_epoch(
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
            rounds = _rounds(n_estimators, self.owner.max_epochs)  # as the trials grew
            grown = rounds[min(epochs, len(rounds)) - 1]
            estimator.set_params(**{f"{self.kind}n_estimators": grown})
            _fit(estimator, self.X, self.y, fit_params)
        return estimator, time.time() - start


# -- work done in joblib workers -------------------------------------------------------------------
def _train_epoch(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    train: Any,
    test: Any,
    first: bool,
    grow: tuple[str, int] | None,
    classes: Any,
    scorer: Any,
    fit_params: Mapping[str, Any],
    score_params: Mapping[str, Any],
    return_train_score: bool,
    error_score: Any,
) -> tuple[Any, dict[str, Any]]:
    """Train ``estimator`` one more epoch on the fold's training part and score it.

    Returns the estimator and a result shaped as ``_fit_and_score``'s.
    """
    fit_params = _check_method_params(X, params=fit_params, indices=train)
    X_train, y_train = _safe_split(estimator, X, y, train)
    X_test, y_test = _safe_split(estimator, X, y, test, train)
    start = time.time()
    out: dict[str, Any] = {"n_test_samples": len(test)}
    try:
        _one_epoch(
            estimator,
            X_train,
            y_train,
            first=first,
            grow=grow,
            classes=classes,
            fit_params=fit_params,
        )
    except Exception:
        if error_score == "raise":
            raise
        scores = _error_scores(scorer, error_score)
        out.update(fit_error=format_exc(), fit_time=time.time() - start, score_time=0.0)
        out["test_scores"] = scores
        if return_train_score:
            out["train_scores"] = deepcopy(scores)
        return estimator, out
    fit_time = time.time() - start
    test_params = _check_method_params(X, params=score_params, indices=test)
    out["test_scores"] = _score(estimator, X_test, y_test, scorer, test_params, error_score)
    out.update(fit_error=None, fit_time=fit_time, score_time=time.time() - start - fit_time)
    if return_train_score:
        train_params = _check_method_params(X, params=score_params, indices=train)
        out["train_scores"] = _score(estimator, X_train, y_train, scorer, train_params, error_score)
    return estimator, out


def _one_epoch(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    first: bool,
    grow: tuple[str, int] | None,
    classes: Any,
    fit_params: Mapping[str, Any],
) -> None:
    """One ``partial_fit`` pass, or one warm-start round up to ``grow = (prefix, n)``."""
    if grow is not None:
        prefix, n_estimators = grow
        estimator.set_params(**{f"{prefix}n_estimators": n_estimators})
        _fit(estimator, X, y, fit_params)
        return
    if isinstance(estimator, Pipeline):
        # The preprocessing steps are fitted once, on the first epoch's data (the fold's
        # training part, or all of it for the refit); the last step learns epoch by epoch.
        head = estimator[:-1]  # a view: its steps are the pipeline's own objects
        name, estimator = estimator.steps[-1]
        prefix = f"{name}__"  # fit parameters are named as a Pipeline names them: step__param
        head_params = {k: v for k, v in fit_params.items() if not k.startswith(prefix)}
        fit_params = {k[len(prefix) :]: v for k, v in fit_params.items() if k.startswith(prefix)}
        X = head.fit_transform(X, y, **head_params) if first else head.transform(X)
    extra = {"classes": classes} if first and classes is not None else {}
    if y is None:
        estimator.partial_fit(X, **extra, **fit_params)
    else:
        estimator.partial_fit(X, y, **extra, **fit_params)


def _fit(estimator: Any, X: Any, y: Any, fit_params: Mapping[str, Any]) -> None:
    if y is None:
        estimator.fit(X, **fit_params)
    else:
        estimator.fit(X, y, **fit_params)


def _error_scores(scorer: Any, error_score: Any) -> Any:
    if isinstance(scorer, _MultimetricScorer):
        return dict.fromkeys(scorer._scorers, error_score)
    return error_score


# -- small helpers ---------------------------------------------------------------------------------
def _after_epoch(before: dict[str, Any] | None, out: dict[str, Any]) -> dict[str, Any]:
    """The fold's result after one more epoch: its scores, the fit time summed over epochs."""
    if before is not None:
        out["fit_time"] += before["fit_time"]
    return out


def _training_kind(estimator: Any) -> str | None:
    """``"partial_fit"`` (the estimator, or a pipeline's last step, has ``partial_fit``), the
    parameter prefix of a warm-startable ensemble (``""`` or ``"<last step>__"`` of a pipeline),
    or None when the estimator cannot train in epochs."""
    is_pipeline = isinstance(estimator, Pipeline) and bool(estimator.steps)
    if hasattr(estimator, "partial_fit") or (
        is_pipeline and hasattr(estimator.steps[-1][1], "partial_fit")
    ):
        return _PARTIAL_FIT
    params = estimator.get_params(deep=True)
    prefixes = [""]
    if is_pipeline:
        prefixes.append(f"{estimator.steps[-1][0]}__")
    for prefix in prefixes:
        if f"{prefix}warm_start" in params and f"{prefix}n_estimators" in params:
            return prefix
    return None


def _rounds(n_estimators: Any, max_epochs: int) -> list[int]:
    """``n_estimators`` of each warm-start round: ``ceil(k * n / r)``, ``r = min(max_epochs, n)``.

    Example:
        >>> _rounds(100, 3), _rounds(2, 10)
        ([34, 67, 100], [1, 2])
    """
    n = int(n_estimators)
    r = max(1, min(max_epochs, n))
    return [-(-k * n // r) for k in range(1, r + 1)]


def _config_key(params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Hashable identity of a configuration (``1``, ``1.0`` and ``True`` differ)."""
    return tuple(sorted((name, _choice_key(value)) for name, value in params.items()))


def _finite_size(space: Space | UnionSpace) -> int | None:
    """Number of configurations of a finite space, or None (continuous, or too many to count)."""
    subspaces = space.spaces if isinstance(space, UnionSpace) else (space,)
    bound = 0
    for sub in subspaces:
        product = 1
        for dist in sub.distributions.values():
            count = _n_values(dist)
            if count is None:
                return None
            product *= count
        bound += product
    if bound > _EXACT_SIZE_LIMIT:
        return None
    return len({_config_key(c) for c in space.grid()})


def _n_values(dist: Any) -> int | None:
    if isinstance(dist, Categorical):
        return len(dist.choices)
    if isinstance(dist, Int):
        return (dist.high - dist.low) // dist.step + 1
    if isinstance(dist, Float):
        if dist.step is None:
            return 1 if dist.low == dist.high else None
        return round((dist.high - dist.low) / dist.step) + 1
    grid = dist.grid()
    return None if grid is None else len(grid)


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


def _out_to_json(out: Mapping[str, Any]) -> dict[str, Any]:
    """A fold result as JSON (NaN -> None) for the ``cv_record`` user attribute."""
    record = {
        "fit_time": _json_number(out["fit_time"]),
        "score_time": _json_number(out["score_time"]),
        "failed": out["fit_error"] is not None,
        "test": _json_scores(out["test_scores"]),
    }
    if "train_scores" in out:
        record["train"] = _json_scores(out["train_scores"])
    return record


def _out_from_json(record: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        "fit_error": "failed in an earlier fit" if record.get("failed") else None,
        "fit_time": _number(record["fit_time"]),
        "score_time": _number(record["score_time"]),
        "test_scores": _scores(record["test"]),
        "n_test_samples": 0,
    }
    if "train" in record:
        out["train_scores"] = _scores(record["train"])
    return out


def _json_scores(scores: Any) -> Any:
    if isinstance(scores, Mapping):
        return {str(k): _json_number(v) for k, v in scores.items()}
    return _json_number(scores)


def _scores(record: Any) -> Any:
    if isinstance(record, Mapping):
        return {k: _number(v) for k, v in record.items()}
    return _number(record)


def _json_number(value: Any) -> float | None:
    x = float(value)
    return x if math.isfinite(x) else None


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def _last_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else str(text)


def _is_nan(value: Any) -> bool:
    return isinstance(value, numbers.Real) and math.isnan(value)


def _is_nop(pruner: Any) -> bool:
    return isinstance(pruner, NopPruner)


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be an int >= 1, but got {name}={value!r}.")


def _seed_of(random_state: Any) -> int | None:
    """The default sampler's seed: None, an int in ``[0, 2**32)`` or drawn from a RandomState."""
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if (
        isinstance(random_state, bool)
        or not isinstance(random_state, numbers.Integral)
        or not 0 <= int(random_state) < 2**32
    ):
        raise ValueError(
            "`random_state` must be None, an int in [0, 2**32) or a numpy RandomState, but got "
            f"random_state={random_state!r}."
        )
    return int(random_state)
