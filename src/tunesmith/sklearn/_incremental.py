"""Training in epochs for early stopping: ``partial_fit`` passes, or warm-start rounds.

``train_epoch`` runs in joblib workers; the rest decides how an estimator trains in epochs and
how a warm-started ensemble grows round by round.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from copy import deepcopy
from traceback import format_exc
from typing import Any

from ._compat import Pipeline, _check_method_params, _MultimetricScorer, _safe_split, _score

__all__ = [
    "PARTIAL_FIT",
    "after_epoch",
    "fit",
    "one_epoch",
    "rounds",
    "train_epoch",
    "training_kind",
]

#: ``training_kind`` of an estimator trained by ``partial_fit``.
PARTIAL_FIT = "partial_fit"


def train_epoch(
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
        one_epoch(
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


def one_epoch(
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
        fit(estimator, X, y, fit_params)
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


def fit(estimator: Any, X: Any, y: Any, fit_params: Mapping[str, Any]) -> None:
    if y is None:
        estimator.fit(X, **fit_params)
    else:
        estimator.fit(X, y, **fit_params)


def _error_scores(scorer: Any, error_score: Any) -> Any:
    if isinstance(scorer, _MultimetricScorer):
        return dict.fromkeys(scorer._scorers, error_score)
    return error_score


def after_epoch(before: dict[str, Any] | None, out: dict[str, Any]) -> dict[str, Any]:
    """The fold's result after one more epoch: its scores, the fit time summed over epochs."""
    if before is not None:
        out["fit_time"] += before["fit_time"]
    return out


def training_kind(estimator: Any) -> str | None:
    """``"partial_fit"`` (the estimator, or a pipeline's last step, has ``partial_fit``), the
    parameter prefix of a warm-startable ensemble (``""`` or ``"<last step>__"`` of a pipeline),
    or None when the estimator cannot train in epochs."""
    is_pipeline = isinstance(estimator, Pipeline) and bool(estimator.steps)
    if hasattr(estimator, "partial_fit") or (
        is_pipeline and hasattr(estimator.steps[-1][1], "partial_fit")
    ):
        return PARTIAL_FIT
    params = estimator.get_params(deep=True)
    prefixes = [""]
    if is_pipeline:
        prefixes.append(f"{estimator.steps[-1][0]}__")
    for prefix in prefixes:
        if f"{prefix}warm_start" in params and f"{prefix}n_estimators" in params:
            return prefix
    return None


def rounds(n_estimators: Any, max_epochs: int) -> list[int]:
    """``n_estimators`` of each warm-start round: ``ceil(k * n / r)``, ``r = min(max_epochs, n)``.

    Example:
        >>> rounds(100, 3), rounds(2, 10)
        ([34, 67, 100], [1, 2])
    """
    n = int(n_estimators)
    r = max(1, min(max_epochs, n))
    return [-(-k * n // r) for k in range(1, r + 1)]
