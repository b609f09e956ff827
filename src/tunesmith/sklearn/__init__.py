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

from ._search_cv import DEFAULT_MAX_EPOCHS, TuneSearchCV

__all__ = ["DEFAULT_MAX_EPOCHS", "TuneSearchCV"]
