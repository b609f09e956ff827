"""The resume record: each evaluated trial's fold results, stored as JSON in the study.

Every trial ``TuneSearchCV`` evaluates stores the user attribute ``cv_record``: a fingerprint of
what the scores depend on (data, splits, estimator, scoring...), the epochs it trained and one
JSON entry per fold (``None`` for a fold not fitted). A later ``fit`` on a study holding records
with the same fingerprint turns them into rows again instead of refitting them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ._compat import joblib_hash

__all__ = ["RECORD_KEY", "fingerprint", "fold_record", "read_record"]

#: The user attribute that holds a trial's record.
RECORD_KEY = "cv_record"


def fingerprint(parts: tuple[Any, ...]) -> str | None:
    """A hash of everything the fold scores depend on, or ``None`` if a part cannot be hashed
    (a lambda scorer does not pickle): then the search cannot be resumed."""
    try:
        return str(joblib_hash(parts))
    except Exception:
        return None


def fold_record(
    key: str | None, n_epochs: int | None, outs: Sequence[Mapping[str, Any] | None]
) -> dict[str, Any]:
    """The JSON record of one trial: its fingerprint, epochs and fold results."""
    return {
        "fingerprint": key,
        "n_epochs": n_epochs,
        "folds": [None if out is None else _out_to_json(out) for out in outs],
    }


def read_record(
    user_attrs: Mapping[str, Any], key: str
) -> tuple[list[dict[str, Any] | None], int | None] | None:
    """The fold results and epochs of a trial whose record has fingerprint ``key``, else
    ``None``."""
    record = user_attrs.get(RECORD_KEY)
    if not isinstance(record, Mapping) or record.get("fingerprint") != key:
        return None
    outs = [None if f is None else _out_from_json(f) for f in record["folds"]]
    return outs, record["n_epochs"]


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
