"""One flat view of trials: the columns of ``Study.trials_dataframe`` and ``tunesmith trials``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from .records import FrozenTrial

__all__ = ["MISSING", "seconds", "sorted_keys", "trial_table"]


class _Missing:
    """A parameter or attribute the trial does not have (an empty cell)."""

    def __repr__(self) -> str:
        return "<missing>"


#: The cell of a parameter or user attribute that a trial does not have.
MISSING: Any = _Missing()


def trial_table(
    trials: Sequence[FrozenTrial], n_objectives: int
) -> tuple[list[str], list[list[Any]]]:
    """Flat columns and rows of ``trials``, one row per trial in the order given.

    Columns: ``number``, ``state`` (its name), ``value`` (or ``values_0``, ``values_1``, ... for
    several objectives), ``params_<name>`` and ``user_attrs_<name>`` (sorted names, the union
    over the trials), ``datetime_start``, ``datetime_complete`` (UTC datetimes), ``duration_s``
    (seconds, a float) and ``error``. A parameter or attribute a trial does not have holds
    ``MISSING``; values, times and the error are ``None`` where a trial has none.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study()
        >>> study.add_trial(ts.create_trial(params={"x": 1.0}, distributions={"x": ts.Float(0, 2)},
        ...                                 value=0.5))
        0
        >>> columns, rows = trial_table(study.trials, 1)
        >>> columns
        ['number', 'state', 'value', 'params_x', 'datetime_start', 'datetime_complete', \
'duration_s', 'error']
        >>> rows[0][:4]
        [0, 'COMPLETE', 0.5, 1.0]
    """
    params = sorted_keys(t.params for t in trials)
    attrs = sorted_keys(t.user_attrs for t in trials)
    value_cols = ["value"] if n_objectives == 1 else [f"values_{i}" for i in range(n_objectives)]
    columns = [
        "number",
        "state",
        *value_cols,
        *[f"params_{p}" for p in params],
        *[f"user_attrs_{a}" for a in attrs],
        "datetime_start",
        "datetime_complete",
        "duration_s",
        "error",
    ]
    rows: list[list[Any]] = []
    for t in trials:
        if t.values is not None and len(t.values) == n_objectives:
            values: list[Any] = list(t.values)
        else:
            values = [None] * n_objectives
        rows.append(
            [
                t.number,
                t.state.name,
                *values,
                *[t.params.get(p, MISSING) for p in params],
                *[t.user_attrs.get(a, MISSING) for a in attrs],
                t.datetime_start,
                t.datetime_complete,
                seconds(t.duration),
                t.error,
            ]
        )
    return columns, rows


def seconds(delta: timedelta | None) -> float | None:
    """A duration in seconds, or ``None``."""
    return None if delta is None else delta.total_seconds()


def sorted_keys(dicts: Iterable[Mapping[str, Any]]) -> list[str]:
    """Sorted union of the keys."""
    names: set[str] = set()
    for d in dicts:
        names.update(d)
    return sorted(names)
