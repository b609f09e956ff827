"""Every scikit-learn (and joblib) name the adapter uses, private ones included, in one place.

``TuneSearchCV`` reuses scikit-learn's own pieces (``_fit_and_score``, ``_format_results``...)
to behave exactly as ``GridSearchCV``; several are private, so a scikit-learn release that moves
one breaks this file alone. Tested with scikit-learn 1.5.2 and 1.9.1.
"""

from __future__ import annotations

from .._errors import MissingExtraError

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

__all__ = [
    "BaseSearchCV",
    "Parallel",
    "Pipeline",
    "_MultimetricScorer",
    "_check_method_params",
    "_clone_parametrized",
    "_fit_and_score",
    "_fit_context",
    "_insert_error_scores",
    "_safe_split",
    "_score",
    "_warn_or_raise_about_fit_failures",
    "check_cv",
    "clone",
    "delayed",
    "effective_n_jobs",
    "indexable",
    "is_classifier",
    "joblib_hash",
]
