"""``tunesmith.sklearn.TuneSearchCV`` against scikit-learn's own search estimators.

Real estimators on small data (iris, a slice of digits), fixed seeds, cv=3.
"""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.stats
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import check_estimator
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

import tunesmith as ts
from tunesmith.samplers import BaseSampler, GridSampler, History, RandomSampler
from tunesmith.sklearn import TuneSearchCV

IRIS_X, IRIS_Y = load_iris(return_X_y=True)
_DIGITS_X, _DIGITS_Y = load_digits(return_X_y=True)
DIGITS_X, DIGITS_Y = _DIGITS_X[:450] / 16.0, _DIGITS_Y[:450]

LR_GRID = {"C": [0.01, 0.1, 1.0, 10.0]}


def nop() -> ts.pruners.NopPruner:
    return ts.pruners.NopPruner()


def logreg() -> LogisticRegression:
    return LogisticRegression(max_iter=300)


class CountingRidge(RidgeClassifier):  # type: ignore[misc]
    """RidgeClassifier that counts its fits (in this process: use with n_jobs=None)."""

    fits = 0

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> CountingRidge:
        type(self).fits += 1
        super().fit(X, y, sample_weight)
        return self


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread() -> Iterator[None]:
    """Small data gains nothing from BLAS threads, which on a loaded machine cost 50x in L-BFGS."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def counting() -> type[CountingRidge]:
    CountingRidge.fits = 0
    return CountingRidge


class ScriptedSampler(BaseSampler):
    """Proposes ``configs[number]`` for trial ``number`` (the last one once they run out)."""

    def __init__(self, configs: Sequence[dict[str, Any]]) -> None:
        self.configs = list(configs)

    def propose(self, history: History, space: Any, numbers: Sequence[int]) -> list[dict[str, Any]]:
        return [dict(self.configs[min(n, len(self.configs) - 1)]) for n in numbers]


def by_params(results: dict[str, Any]) -> list[int]:
    """Row order that sorts ``cv_results_`` by the repr of its params."""
    return sorted(
        range(len(results["params"])), key=lambda i: repr(sorted(results["params"][i].items()))
    )


# -- import ----------------------------------------------------------------------------------------
def test_import_tunesmith_does_not_import_sklearn() -> None:
    code = (
        "import sys, tunesmith; assert 'sklearn' not in sys.modules, 'sklearn imported'; "
        "import tunesmith.sklearn; assert tunesmith.sklearn.TuneSearchCV"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_sklearn_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "try:\n    import tunesmith.sklearn\n"
        "except ImportError as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.startswith("MissingExtraError")
    assert "pip install 'tunesmith[sklearn]'" in out.stdout


# -- GridSearchCV parity ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "grid",
    [
        {"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]},
        [{"kernel": ["linear"], "C": [0.1, 1.0]}, {"kernel": ["rbf"], "gamma": [0.1, 1.0]}],
    ],
    ids=["dict", "list-of-dicts"],
)
def test_cv_results_match_grid_search(grid: Any) -> None:
    grid_search = GridSearchCV(SVC(), grid, cv=3, return_train_score=True).fit(IRIS_X, IRIS_Y)
    search = TuneSearchCV(
        SVC(), grid, n_trials=50, cv=3, sampler=GridSampler(), pruner=nop(), return_train_score=True
    ).fit(IRIS_X, IRIS_Y)
    ours, theirs = search.cv_results_, grid_search.cv_results_
    assert set(ours) - set(theirs) == {"trial_number", "state"}
    assert len(ours["params"]) == len(theirs["params"])  # every grid point once, then exhausted
    mine, other = by_params(ours), by_params(theirs)
    for key, column in theirs.items():
        assert type(ours[key]) is type(column), key
        if key == "params":
            assert [ours[key][i] for i in mine] == [column[i] for i in other]
            continue
        assert ours[key].dtype == column.dtype, key
        got, expected = ours[key][mine], column[other]
        if isinstance(expected, np.ma.MaskedArray):
            assert np.array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(expected)), key
            assert list(got.compressed()) == list(expected.compressed()), key
        elif "time" not in key:
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=key)
    assert search.best_score_ == pytest.approx(grid_search.best_score_, abs=1e-12)
    assert search.best_params_ == grid_search.best_params_
    assert list(ours["state"]) == ["COMPLETE"] * len(ours["params"])
    assert list(ours["trial_number"]) == list(range(len(ours["params"])))


def test_best_attributes_and_refit() -> None:
    search = TuneSearchCV(
        logreg(), {"C": ts.Float(1e-3, 1e2, log=True)}, n_trials=6, cv=3, random_state=0
    ).fit(IRIS_X, IRIS_Y)
    results = search.cv_results_
    best = search.best_index_
    assert results["rank_test_score"][best] == 1
    assert search.best_score_ == results["mean_test_score"][best]
    assert search.best_params_ == results["params"][best]
    assert search.n_splits_ == 3
    assert search.multimetric_ is False
    assert callable(search.scorer_)
    assert search.refit_time_ >= 0
    assert search.n_features_in_ == 4
    assert list(search.classes_) == [0, 1, 2]
    # the refitted estimator's learned coefficients are the parameter estimates of the best config
    direct = LogisticRegression(max_iter=300, **search.best_params_).fit(IRIS_X, IRIS_Y)
    np.testing.assert_allclose(search.best_estimator_.coef_, direct.coef_)
    np.testing.assert_array_equal(search.predict(IRIS_X), direct.predict(IRIS_X))
    assert search.score(IRIS_X, IRIS_Y) == pytest.approx(direct.score(IRIS_X, IRIS_Y))
    # the study maximizes the mean test score
    study = search.study_
    assert study.direction == "maximize"
    for number, state, mean in zip(
        results["trial_number"], results["state"], results["mean_test_score"], strict=True
    ):
        trial = study.trials[number]
        assert trial.state.name == state
        if state == "COMPLETE":
            assert trial.value == pytest.approx(mean)


def test_refit_false() -> None:
    search = TuneSearchCV(logreg(), LR_GRID, n_trials=2, cv=3, refit=False, random_state=0)
    search.fit(IRIS_X, IRIS_Y)
    assert search.best_params_ in search.cv_results_["params"]
    assert not hasattr(search, "best_estimator_")
    with pytest.raises(AttributeError, match="has no attribute 'predict'"):
        search.predict(IRIS_X)


# -- multi-metric ----------------------------------------------------------------------------------
def test_multimetric_refit_by_name() -> None:
    search = TuneSearchCV(
        logreg(),
        LR_GRID,
        n_trials=4,
        cv=3,
        scoring=["accuracy", "f1_macro"],
        refit="f1_macro",
        pruner=nop(),
        random_state=0,
    ).fit(IRIS_X, IRIS_Y)
    results = search.cv_results_
    for key in ("mean_test_accuracy", "rank_test_accuracy", "split2_test_f1_macro"):
        assert key in results
    assert search.multimetric_ is True
    assert set(search.scorer_) == {"accuracy", "f1_macro"}
    assert search.best_index_ == int(np.argmin(results["rank_test_f1_macro"]))
    assert search.best_score_ == results["mean_test_f1_macro"][search.best_index_]
    values = [search.study_.trials[n].value for n in results["trial_number"]]
    np.testing.assert_allclose(values, results["mean_test_f1_macro"])  # the refit metric


def test_multimetric_refit_callable_optimizes_the_first_metric() -> None:
    def worst_accuracy(results: dict[str, Any]) -> int:
        return int(np.argmin(results["mean_test_accuracy"]))

    search = TuneSearchCV(
        logreg(),
        LR_GRID,
        n_trials=4,
        cv=3,
        scoring={"accuracy": "accuracy", "balanced": "balanced_accuracy"},
        refit=worst_accuracy,
        pruner=nop(),
        random_state=0,
    ).fit(IRIS_X, IRIS_Y)
    results = search.cv_results_
    assert search.best_index_ == worst_accuracy(results)
    assert not hasattr(search, "best_score_")
    assert search.best_params_["C"] == search.best_estimator_.C
    values = [search.study_.trials[n].value for n in results["trial_number"]]
    np.testing.assert_allclose(values, results["mean_test_accuracy"])


def test_callable_scoring_returning_a_dict() -> None:
    def scores(estimator: Any, X: Any, y: Any) -> dict[str, float]:
        accuracy = float(np.mean(estimator.predict(X) == y))
        return {"acc": accuracy, "err": 1.0 - accuracy}

    search = TuneSearchCV(
        logreg(), LR_GRID, n_trials=4, cv=3, scoring=scores, refit="acc", random_state=0
    ).fit(IRIS_X, IRIS_Y)
    assert search.multimetric_ is True
    assert "mean_test_err" in search.cv_results_
    assert search.best_score_ == pytest.approx(max(search.cv_results_["mean_test_acc"]))


def test_multimetric_needs_a_refit_metric() -> None:
    search = TuneSearchCV(logreg(), LR_GRID, n_trials=2, scoring=["accuracy", "f1_macro"])
    with pytest.raises(ValueError, match="refit should be set to False explicitly"):
        search.fit(IRIS_X, IRIS_Y)


def test_multimetric_refit_false_has_no_best() -> None:
    search = TuneSearchCV(
        logreg(), LR_GRID, n_trials=2, cv=3, scoring=["accuracy", "f1_macro"], refit=False
    ).fit(IRIS_X, IRIS_Y)
    assert not hasattr(search, "best_index_")
    assert len(search.cv_results_["params"]) == 2


# -- composition -----------------------------------------------------------------------------------
def test_pipeline_names_and_every_kind_of_domain() -> None:
    pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    space = {
        "svc__C": scipy.stats.loguniform(1e-2, 1e2),  # frozen scipy distribution
        "svc__gamma": ts.Float(1e-3, 1.0, log=True),  # tunesmith distribution
        "svc__kernel": ["rbf", "sigmoid"],  # list of grid values
    }
    search = TuneSearchCV(pipe, space, n_trials=4, cv=3, random_state=0).fit(IRIS_X, IRIS_Y)
    assert set(search.best_params_) == set(space)
    svc = search.best_estimator_.named_steps["svc"]
    assert search.best_params_["svc__C"] == svc.C
    assert search.best_params_["svc__kernel"] == svc.kernel
    assert search.cv_results_["param_svc__C"].dtype == np.float64
    assert search.cv_results_["param_svc__kernel"].dtype == object


def test_clone_and_get_params_round_trip() -> None:
    study = ts.create_study(direction="maximize")
    search = TuneSearchCV(logreg(), LR_GRID, n_trials=3, cv=3, study=study, max_epochs=7)
    params = search.get_params(deep=False)
    assert params["n_trials"] == 3 and params["max_epochs"] == 7 and params["study"] is study
    assert "estimator__C" in search.get_params(deep=True)
    copy = clone(search)
    assert copy is not search and copy.study is study  # the study is shared, not copied
    copied = copy.get_params(deep=False)
    for name, value in params.items():
        if name != "estimator":
            assert copied[name] is value or copied[name] == value, name
    assert copy.set_params(n_trials=5, estimator__C=2.0).get_params()["estimator__C"] == 2.0
    assert search.n_trials == 3
    unfitted = TuneSearchCV(logreg(), {"C": ts.Float(0.1, 1.0)}, random_state=0)
    assert repr(clone(unfitted)) == repr(unfitted)


def test_nested_cross_val_score() -> None:
    inner = TuneSearchCV(logreg(), LR_GRID, n_trials=2, cv=3, random_state=0)
    scores = cross_val_score(inner, IRIS_X, IRIS_Y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.8


def test_pickle_round_trip_keeps_the_study() -> None:
    search = TuneSearchCV(logreg(), LR_GRID, n_trials=3, cv=3, random_state=0)
    search.fit(IRIS_X, IRIS_Y)
    loaded = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(loaded.predict(IRIS_X), search.predict(IRIS_X))
    assert [t.params for t in loaded.study_.trials] == [t.params for t in search.study_.trials]
    assert loaded.study_.best_value == search.study_.best_value


def test_check_estimator_fails_nothing_grid_search_passes() -> None:
    def failures(estimator: Any) -> set[str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            records = check_estimator(estimator, on_fail=None, on_skip=None)
        return {str(r["check_name"]) for r in records if r["status"] == "failed"}

    space = {"alpha": [0.1, 1.0]}
    grid_failures = failures(GridSearchCV(RidgeClassifier(), space, cv=3))
    ours = failures(TuneSearchCV(RidgeClassifier(), space, n_trials=2, cv=3, random_state=0))
    assert ours <= grid_failures, ours - grid_failures


# -- pruning ---------------------------------------------------------------------------------------
def test_fold_pruning_stops_a_hopeless_configuration(counting: type[CountingRidge]) -> None:
    hopeless = {"alpha": 1e9}  # predicts one class: accuracy ~ 1/3 on every fold
    configs = [{"alpha": 0.1}, {"alpha": 1.0}, hopeless, {"alpha": 10.0}]
    search = TuneSearchCV(
        counting(),
        {"alpha": ts.Float(1e-3, 1e9, log=True)},
        n_trials=4,
        cv=3,
        sampler=ScriptedSampler(configs),
        pruner=ts.pruners.ThresholdPruner(lower=0.5),
    ).fit(IRIS_X, IRIS_Y)
    assert counting.fits == 3 * 3 + 1 + 1  # three good configurations, one fold of the hopeless one
    results = search.cv_results_
    row = results["params"].index(hopeless)
    assert results["state"][row] == "PRUNED"
    assert results["split0_test_score"][row] < 0.5
    assert np.isnan(results["split1_test_score"][row]) and np.isnan(
        results["split2_test_score"][row]
    )
    assert np.isnan(results["mean_test_score"][row])
    assert results["rank_test_score"][row] == results["rank_test_score"].max()
    trial = search.study_.trials[results["trial_number"][row]]
    assert trial.state is ts.TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]
    assert trial.value == pytest.approx(results["split0_test_score"][row])  # last report kept
    assert search.best_params_ != hopeless


def test_median_pruner_prunes_after_a_fold() -> None:
    search = TuneSearchCV(
        logreg(),
        {"C": ts.Float(1e-4, 1e2, log=True)},
        n_trials=12,
        cv=3,
        pruner=ts.pruners.MedianPruner(n_startup_trials=3),
        random_state=0,
    )
    with warnings.catch_warnings():
        # the NaN means of pruned rows are by design: no "non-finite" warning about them
        warnings.filterwarnings("error", message="One or more of the .* scores are non-finite")
        search.fit(IRIS_X, IRIS_Y)
    states = list(search.cv_results_["state"])
    assert "PRUNED" in states
    for row, state in enumerate(states):
        fitted = sum(np.isfinite(search.cv_results_[f"split{i}_test_score"][row]) for i in range(3))
        assert fitted == 3 if state == "COMPLETE" else fitted < 3


def test_the_default_pruner_compares_trials_from_their_second_fold() -> None:
    search = TuneSearchCV(
        logreg(), {"C": ts.Float(1e-4, 1e2, log=True)}, n_trials=15, cv=3, random_state=0
    )
    search.fit(IRIS_X, IRIS_Y)
    assert repr(search.study_.pruner) == repr(ts.pruners.MedianPruner(n_warmup_steps=1))
    results = search.cv_results_
    pruned = np.flatnonzero(results["state"] == "PRUNED")
    assert len(pruned) > 0
    for row in pruned:  # never after one fold, always before the last
        assert [np.isfinite(results[f"split{i}_test_score"][row]) for i in range(3)] == [
            True,
            True,
            False,
        ]


def test_ts_sklearn_is_reachable_from_the_package() -> None:
    assert ts.sklearn.TuneSearchCV is TuneSearchCV


# -- early stopping --------------------------------------------------------------------------------
def check_epochs(search: TuneSearchCV) -> tuple[int, list[str]]:
    """Epoch bookkeeping shared by the early-stopping tests; returns the best row's epochs."""
    results = search.cv_results_
    epochs, states = list(results["n_epochs"]), list(results["state"])
    for number, n, state in zip(results["trial_number"], epochs, states, strict=True):
        trial = search.study_.trials[number]
        assert trial.user_attrs["n_epochs"] == n >= 1
        assert len(trial.intermediate_values) == n  # one report per epoch
        assert state == trial.state.name
        if state == "PRUNED":
            assert n < search.max_epochs
    return int(epochs[search.best_index_]), states


def test_early_stopping_partial_fit_sgd() -> None:
    search = TuneSearchCV(
        SGDClassifier(random_state=0),
        {"alpha": ts.Float(1e-6, 1e2, log=True)},
        n_trials=10,
        cv=3,
        early_stopping=True,
        max_epochs=9,
        random_state=0,
    ).fit(DIGITS_X, DIGITS_Y)
    best_epochs, states = check_epochs(search)
    assert "PRUNED" in states  # SuccessiveHalvingPruner by default
    assert isinstance(search.study_.pruner, ts.pruners.SuccessiveHalvingPruner)
    # refit: one partial_fit pass over all the data per epoch the best trial trained
    assert search.best_estimator_.t_ == best_epochs * len(DIGITS_X) + 1
    assert search.score(DIGITS_X, DIGITS_Y) > 0.8


def test_early_stopping_trains_the_last_step_of_a_pipeline_by_epochs() -> None:
    pipe = Pipeline([("scale", StandardScaler()), ("sgd", SGDClassifier(random_state=0))])
    weights = np.linspace(0.5, 1.5, len(DIGITS_Y))
    search = TuneSearchCV(
        pipe,
        {"sgd__alpha": ts.Float(1e-6, 1e2, log=True)},
        n_trials=8,
        cv=3,
        early_stopping=True,
        max_epochs=9,
        random_state=0,
    ).fit(DIGITS_X, DIGITS_Y, sgd__sample_weight=weights, scale__sample_weight=weights)
    best_epochs, states = check_epochs(search)
    assert "PRUNED" in states
    best = search.best_estimator_
    # The scaler was fitted once, on all the data, and the classifier epoch by epoch.
    np.testing.assert_allclose(best["scale"].mean_, np.average(DIGITS_X, axis=0, weights=weights))
    assert best["sgd"].t_ == best_epochs * len(DIGITS_X) + 1
    assert search.score(DIGITS_X, DIGITS_Y) > 0.8


def test_early_stopping_partial_fit_mlp_in_parallel() -> None:
    search = TuneSearchCV(
        MLPClassifier(hidden_layer_sizes=(8,), random_state=0),
        {"learning_rate_init": ts.Float(1e-4, 1e-1, log=True)},
        n_trials=4,
        cv=3,
        early_stopping=True,
        max_epochs=3,
        n_jobs=2,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of short training
        search.fit(DIGITS_X, DIGITS_Y)
    best_epochs, _ = check_epochs(search)
    assert search.best_estimator_.t_ == best_epochs * len(DIGITS_X)
    assert search.predict(DIGITS_X).shape == DIGITS_Y.shape


def test_early_stopping_warm_start_forest_grows_in_rounds() -> None:
    def a_pruned_row(results: dict[str, Any]) -> int:  # exercises the refit of a short trial
        pruned = np.flatnonzero(results["state"] == "PRUNED")
        return int(pruned[0]) if len(pruned) else int(np.argmin(results["rank_test_score"]))

    search = TuneSearchCV(
        RandomForestClassifier(n_estimators=12, random_state=0),
        {"max_depth": ts.Int(1, 8), "max_features": ts.Float(0.05, 1.0)},
        n_trials=8,
        cv=3,
        early_stopping=True,
        max_epochs=4,  # rounds of 3, 6, 9, 12 trees
        refit=a_pruned_row,
        random_state=0,
    ).fit(DIGITS_X, DIGITS_Y)
    best_epochs, states = check_epochs(search)
    assert "PRUNED" in states and best_epochs < 4
    assert len(search.best_estimator_.estimators_) == 3 * best_epochs
    assert search.best_estimator_.warm_start is False  # the refit is one plain fit
    assert search.score(DIGITS_X, DIGITS_Y) > 0.5


# -- duplicates, exhaustion, resuming --------------------------------------------------------------
def test_no_configuration_is_fitted_twice(counting: type[CountingRidge]) -> None:
    a, b, c = {"alpha": 0.1}, {"alpha": 1.0}, {"alpha": 10.0}
    search = TuneSearchCV(
        counting(),
        {"alpha": [0.1, 1.0, 10.0]},
        n_trials=3,
        cv=3,
        sampler=ScriptedSampler([a, a, b, a, b, c]),
        pruner=nop(),
    ).fit(IRIS_X, IRIS_Y)
    assert counting.fits == 3 * 3 + 1
    assert search.cv_results_["params"] == [a, b, c]
    trials = search.study_.trials
    assert [t.user_attrs.get("duplicate_of") for t in trials] == [None, 0, None, 0, 2, None]
    assert trials[1].state is ts.TrialState.COMPLETE and trials[1].value == trials[0].value


def test_finite_space_exhausted_stops_early(counting: type[CountingRidge]) -> None:
    space = {"alpha": [0.1, 1.0], "fit_intercept": [True, False]}
    search = TuneSearchCV(
        counting(), space, n_trials=30, cv=3, sampler=RandomSampler(seed=0), pruner=nop()
    ).fit(IRIS_X, IRIS_Y)
    params = search.cv_results_["params"]
    assert len(params) == 4
    assert len({tuple(sorted(p.items())) for p in params}) == 4
    assert counting.fits == 4 * 3 + 1


def test_sampler_stuck_on_one_configuration_stops() -> None:
    search = TuneSearchCV(
        logreg(),
        {"C": ts.Float(0.01, 10.0)},
        n_trials=5,
        cv=3,
        sampler=ScriptedSampler([{"C": 1.0}]),
        pruner=nop(),
    ).fit(IRIS_X, IRIS_Y)
    assert search.cv_results_["params"] == [{"C": 1.0}]
    assert len(search.study_.trials) == 101  # the fit, then 100 duplicate proposals in a row


def test_resume_a_study_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'search.db'}"
    space = {"C": ts.Float(1e-3, 1e2, log=True)}
    study = ts.create_study(
        study_name="lr", storage=url, direction="maximize", sampler=RandomSampler(seed=0)
    )
    first = TuneSearchCV(logreg(), space, n_trials=3, cv=3, study=study).fit(IRIS_X, IRIS_Y)
    reopened = ts.load_study("lr", url, sampler=RandomSampler(seed=0))
    second = TuneSearchCV(logreg(), space, n_trials=2, cv=3, study=reopened).fit(IRIS_X, IRIS_Y)
    results = second.cv_results_
    assert list(results["trial_number"]) == [0, 1, 2, 3, 4]
    assert results["params"][:3] == first.cv_results_["params"]
    np.testing.assert_array_equal(
        results["mean_test_score"][:3], first.cv_results_["mean_test_score"]
    )
    assert second.best_score_ == np.nanmax(results["mean_test_score"])
    loaded = pickle.loads(pickle.dumps(second))  # a handle on the same database
    assert [t.number for t in loaded.study_.trials] == [0, 1, 2, 3, 4]
    # other data: the earlier trials inform the sampler but are not rows
    third = TuneSearchCV(logreg(), space, n_trials=1, cv=3, study=reopened)
    third.fit(IRIS_X[::2], IRIS_Y[::2])
    assert list(third.cv_results_["trial_number"]) == [5]


def test_n_jobs_two_matches_cross_val_score() -> None:
    search = TuneSearchCV(
        logreg(), {"C": ts.Float(1e-2, 1e2, log=True)}, n_trials=4, cv=3, n_jobs=2, random_state=0
    ).fit(IRIS_X, IRIS_Y)
    results = search.cv_results_
    assert len(results["params"]) == 4 and len(search.study_.trials) == 4
    for params, state, mean in zip(
        results["params"], results["state"], results["mean_test_score"], strict=True
    ):
        if state == "COMPLETE":
            expected = cross_val_score(logreg().set_params(**params), IRIS_X, IRIS_Y, cv=3)
            assert mean == pytest.approx(expected.mean(), abs=1e-12)


def test_verbose_prints_one_line_per_trial(capsys: pytest.CaptureFixture[str]) -> None:
    TuneSearchCV(logreg(), LR_GRID, n_trials=3, cv=3, verbose=1, random_state=0).fit(IRIS_X, IRIS_Y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 3
    assert all(re.match(r"\[TuneSearchCV\] trial \d+: (COMPLETE|PRUNED)", line) for line in lines)


def test_timeout_stops_asking_after_the_first_batch() -> None:
    search = TuneSearchCV(logreg(), LR_GRID, n_trials=4, cv=3, timeout=1e-9, random_state=0)
    assert len(search.fit(IRIS_X, IRIS_Y).cv_results_["params"]) == 1


# -- error_score -----------------------------------------------------------------------------------
BAD_C = {"C": [1.0, -1.0]}  # C=-1 fails LogisticRegression's own parameter validation in fit


def test_error_score_numeric_scores_failed_fits() -> None:
    search = TuneSearchCV(
        logreg(), BAD_C, n_trials=2, cv=3, error_score=0.0, sampler=GridSampler(), pruner=nop()
    )
    with pytest.warns(FitFailedWarning, match="3 fits failed out of a total of 6"):
        search.fit(IRIS_X, IRIS_Y)
    results = search.cv_results_
    row = results["params"].index({"C": -1.0})
    assert [results[f"split{i}_test_score"][row] for i in range(3)] == [0.0, 0.0, 0.0]
    assert results["state"][row] == "COMPLETE"
    trial = search.study_.trials[results["trial_number"][row]]
    assert trial.value == 0.0
    assert "'C' parameter of LogisticRegression" in trial.user_attrs["fit_error"]
    assert search.best_params_ == {"C": 1.0}


def test_error_score_nan_fails_the_trial_at_its_first_failed_fit() -> None:
    search = TuneSearchCV(logreg(), BAD_C, n_trials=2, cv=3, sampler=GridSampler(), pruner=nop())
    with (
        pytest.warns(FitFailedWarning),
        pytest.warns(UserWarning, match="test scores are non-finite"),  # as GridSearchCV warns
    ):
        search.fit(IRIS_X, IRIS_Y)
    results = search.cv_results_
    row = results["params"].index({"C": -1.0})
    assert results["state"][row] == "FAIL"
    assert np.isnan(results["mean_test_score"][row])
    assert search.study_.trials[results["trial_number"][row]].state is ts.TrialState.FAIL


def test_error_score_raise_reraises_the_estimators_exception() -> None:
    with pytest.raises(Exception) as direct:
        LogisticRegression(C=-1.0).fit(IRIS_X, IRIS_Y)
    search = TuneSearchCV(
        logreg(), {"C": [-1.0]}, n_trials=1, cv=3, error_score="raise", random_state=0
    )
    with pytest.raises(type(direct.value), match=re.escape(str(direct.value))):
        search.fit(IRIS_X, IRIS_Y)
    assert search.study_.trials[0].state is ts.TrialState.FAIL  # nothing left RUNNING


def test_every_fit_failing_raises() -> None:
    search = TuneSearchCV(logreg(), {"C": [-1.0, -2.0]}, n_trials=2, cv=3, random_state=0)
    with pytest.raises(ValueError, match="All the 2 fits failed"):
        search.fit(IRIS_X, IRIS_Y)


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"param_space": {"alpah": [1.0]}}, ValueError, "`param_space` has key 'alpah' that "),
        ({"param_space": 42}, TypeError, "`param_space` must be a dict .* but got param_space=42"),
        ({"n_trials": 0}, ValueError, r"`n_trials` must be an int >= 1, but got n_trials=0\."),
        ({"n_trials": 2.5}, TypeError, "but got n_trials=2.5"),
        ({"max_epochs": 0}, ValueError, r"`max_epochs` must be an int >= 1, but got max_epochs=0"),
        ({"timeout": -1}, ValueError, r"`timeout` must be None or a number of seconds > 0, but "),
        ({"timeout": "soon"}, TypeError, "but got timeout='soon'"),
        ({"early_stopping": "yes"}, TypeError, "`early_stopping` must be a bool"),
        ({"random_state": -1}, ValueError, "`random_state` must be None, an int in"),
        (
            {"sampler": RandomSampler(seed=0), "random_state": 0},
            ValueError,
            "Give `sampler` or `random_state`, not both",
        ),
        (
            {"study": ts.create_study(direction="minimize")},
            ValueError,
            "`study` must have direction 'maximize'",
        ),
        (
            {"study": ts.create_study(direction="maximize"), "pruner": ts.pruners.NopPruner()},
            ValueError,
            "Give `study` or `sampler` / `pruner` / `random_state`, not both",
        ),
    ],
)
def test_bad_input_is_refused_before_any_fit(
    counting: type[CountingRidge], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    args = {"param_space": {"alpha": [1.0]}, **kwargs}
    search = TuneSearchCV(counting(), **args)
    with pytest.raises(error, match=message):
        search.fit(IRIS_X, IRIS_Y)
    assert counting.fits == 0


def test_unknown_key_lists_the_estimators_parameters_sorted() -> None:
    pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    with pytest.raises(ValueError) as info:
        TuneSearchCV(pipe, {"svc__gama": [0.1]}).fit(IRIS_X, IRIS_Y)
    message = str(info.value)
    assert "'svc__gama'" in message and "Pipeline" in message
    listed = message.split("its parameters are: ")[1].rstrip(".").split(", ")
    assert listed == sorted(pipe.get_params(deep=True))
    assert "svc__gamma" in listed


def test_early_stopping_needs_partial_fit_or_warm_start() -> None:
    search = TuneSearchCV(SVC(), {"C": [1.0]}, early_stopping=True)
    with pytest.raises(ValueError, match=r"`early_stopping=True` needs .* but SVC has neither"):
        search.fit(IRIS_X, IRIS_Y)
