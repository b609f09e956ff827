"""Rules and JSON forms shared by every storage backend."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np

from .._errors import TrialFinishedError
from ..distributions import Distribution, distribution_from_dict
from ..records import FrozenTrial, TrialState


def check_updatable(trial: FrozenTrial) -> None:
    """Raise ``TrialFinishedError`` for a finished trial."""
    if trial.state.is_finished():
        reason = f" ({trial.error})" if trial.error else ""
        raise TrialFinishedError(
            f"Trial {trial.number} is already finished with state {trial.state.name}{reason}; "
            "a finished trial cannot be told or changed again."
        )


def finished_update(state: TrialState, values: Sequence[float] | None) -> dict[str, Any]:
    """Fields to change when a trial moves to ``state``."""
    changes: dict[str, Any] = {"state": state}
    if values is not None:
        changes["values"] = tuple(float(v) for v in values)
    if state.is_finished():
        changes["datetime_complete"] = datetime.now(timezone.utc)
    return changes


# -- JSON forms (SQL backends) -----------------------------------------------------------------
# Params are stored in their internal form (categoricals as the index of the choice) next to
# their distributions, so every value round-trips exactly, tuples and None included.


def dumps(obj: Any) -> str:
    """Strict JSON: NaN and infinities are refused rather than written as invalid JSON.

    NumPy scalars and arrays (a metric from a model, an ``Int`` value drawn as ``np.int64``) are
    written as the Python numbers and lists they hold.
    """
    return json.dumps(obj, allow_nan=False, separators=(",", ":"), default=_numpy_to_python)


def _numpy_to_python(obj: Any) -> Any:
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def params_to_json(params: Mapping[str, Any], distributions: Mapping[str, Distribution]) -> str:
    return dumps({name: distributions[name].to_internal(v) for name, v in params.items()})


def distributions_to_json(distributions: Mapping[str, Distribution]) -> str:
    return dumps({name: d.to_dict() for name, d in distributions.items()})


_DIST_CACHE: dict[str, Distribution] = {}


def distributions_from_json(text: str | None) -> dict[str, Distribution]:
    if not text:
        return {}
    out = {}
    for name, data in json.loads(text).items():
        key = dumps(data)
        dist = _DIST_CACHE.get(key)
        if dist is None:
            dist = _DIST_CACHE[key] = distribution_from_dict(data)
        out[name] = dist
    return out


def params_from_json(text: str | None, distributions: Mapping[str, Distribution]) -> dict[str, Any]:
    if not text:
        return {}
    return {n: distributions[n].to_external(v) for n, v in json.loads(text).items()}


def floats_to_json(values: Sequence[float] | None) -> str | None:
    """Objective values may be +-inf only in intermediate reports; ``null`` encodes NaN."""
    if values is None:
        return None
    return dumps([_float_out(v) for v in values])


def floats_from_json(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    return tuple(_float_in(v) for v in json.loads(text))


def intermediate_to_json(values: Mapping[int, float]) -> str:
    return dumps({str(k): _float_out(v) for k, v in values.items()})


def intermediate_from_json(text: str | None) -> dict[int, float]:
    if not text:
        return {}
    return {int(k): _float_in(v) for k, v in json.loads(text).items()}


def _float_out(v: float) -> Any:
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _float_in(v: Any) -> float:
    if v is None:
        return math.nan
    return float(v)


def to_timestamp(dt: datetime | None) -> float | None:
    return None if dt is None else dt.timestamp()


def from_timestamp(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc)
