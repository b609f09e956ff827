"""``TuneSearchCV``: the scikit-learn front end, its arguments and their checks."""

from __future__ import annotations

from copy import deepcopy
from typing import Any, ClassVar

import numpy as np

from .._checks import check_bool, check_float_or_none, check_int
from .._errors import SearchSpaceExhausted
from ..pruners import BasePruner, MedianPruner, SuccessiveHalvingPruner
from ..samplers import AutoSampler, BaseSampler
from ..space import Space, UnionSpace, as_space
from ..study import Study, create_study
from ._compat import (
    BaseSearchCV,
    _check_method_params,
    _clone_parametrized,
    _fit_context,
    _MultimetricScorer,
    check_cv,
    indexable,
    is_classifier,
)
from ._evaluate import _Search
from ._incremental import training_kind

__all__ = ["DEFAULT_MAX_EPOCHS", "TuneSearchCV"]

#: Default of ``max_epochs``: ``partial_fit`` passes, or rounds a warm-started ensemble grows in.
DEFAULT_MAX_EPOCHS = 10


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
        check_int(self.n_trials, "n_trials", low=1)
        check_int(self.max_epochs, "max_epochs", low=1)
        check_float_or_none(
            self.timeout, "timeout", low=0.0, low_open=True, rule="None or a number of seconds > 0"
        )
        check_bool(self.early_stopping, "early_stopping")
        try:
            space = as_space(self.param_space)
        except TypeError:
            raise TypeError(
                "`param_space` must be a dict of parameter name -> domain (a tunesmith "
                "distribution, a list of values or a frozen scipy.stats distribution), a list of "
                f"such dicts or a tunesmith Space, but got param_space={self.param_space!r}."
            ) from None
        self._check_names(space)
        if self.early_stopping and training_kind(self.estimator) is None:
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


def _seed_of(random_state: Any) -> int | None:
    """The default sampler's seed: None, an int in ``[0, 2**32)`` or drawn from a RandomState."""
    if random_state is None:
        return None
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    rule = "None, an int in [0, 2**32) or a numpy RandomState"
    return check_int(random_state, "random_state", low=0, high=2**32 - 1, rule=rule)
