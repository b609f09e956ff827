"""Immutable records: a trial's state, its stored form, and the directions of a study.

This is the bottom of the trial layers: storages, samplers and pruners read and write these
records and nothing above them (the live ``Trial`` and the ``Study`` sit on top). A record never
changes; ``FrozenTrial.with_changes`` makes a new one.

Example:
    >>> import tunesmith as ts
    >>> t = ts.create_trial(params={"x": 1.0}, distributions={"x": ts.Float(0, 2)}, value=0.5)
    >>> t.state, t.value, t.params
    (<TrialState.COMPLETE: 'COMPLETE'>, 0.5, {'x': 1.0})
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, NoReturn, Protocol

import numpy as np

from ._checks import is_real
from .distributions import Distribution, as_distribution

__all__ = [
    "DIRECTIONS",
    "Direction",
    "FrozenTrial",
    "StudySnapshot",
    "TrialState",
    "TrialsReader",
    "as_directions",
    "as_float_tuple",
    "check_finished_record",
    "create_trial",
    "parse_values",
]

#: The direction of one objective.
Direction = Literal["minimize", "maximize"]
DIRECTIONS: tuple[Direction, ...] = ("minimize", "maximize")


class TrialState(enum.Enum):
    """Life cycle: WAITING (enqueued) -> RUNNING -> COMPLETE | PRUNED | FAIL."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"

    def is_finished(self) -> bool:
        return self in _FINISHED


_FINISHED = frozenset({TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL})


class _ReadOnlyDict(dict):  # type: ignore[type-arg]
    """A ``dict`` that refuses changes, so a stored record cannot be altered through its fields."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(
            "FrozenTrial mappings are read-only; copy them first, e.g. dict(trial.params)."
        )

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))


@dataclass(frozen=True, slots=True, kw_only=True)
class FrozenTrial:
    """Immutable record of one trial, as stored: fields cannot be assigned and its mappings are
    read-only dicts (copy one with ``dict(...)`` to change it).

    Attributes:
        number: 0-based, unique and gap-free within a study, in order of creation.
        state: Where the trial is in its life cycle.
        values: One value per objective for COMPLETE trials (and PRUNED ones that reported a last
            value), else ``None``.
        params: Configuration, name -> value (only the parameters the trial used).
        distributions: Name -> domain of each parameter.
        user_attrs: JSON-ready attributes set with ``Trial.set_user_attr``.
        intermediate_values: Step -> value reported with ``Trial.report``.
        constraints: Constraint values (feasible when all are ``<= 0``), or ``None``.
        datetime_start: When the trial started running (UTC), ``None`` while WAITING.
        datetime_complete: When it finished (UTC), ``None`` while not finished.
        error: Why a FAIL trial failed (exception type and message, or the rejected value).
    """

    number: int
    state: TrialState
    values: tuple[float, ...] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    intermediate_values: dict[int, float] = field(default_factory=dict)
    constraints: tuple[float, ...] | None = None
    datetime_start: datetime | None = None
    datetime_complete: datetime | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        for name in _MAPPINGS:
            mapping = getattr(self, name)
            if type(mapping) is not _ReadOnlyDict:
                object.__setattr__(self, name, _ReadOnlyDict(mapping))

    @property
    def value(self) -> float | None:
        """The single objective value; an error for studies with several objectives."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise RuntimeError(
                f"Trial {self.number} has {len(self.values)} values; use `values` for a study "
                "with several objectives."
            )
        return self.values[0]

    @property
    def duration(self) -> timedelta | None:
        """Running time, or ``None`` while the trial has not finished."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def feasible(self) -> bool:
        """True unless a constraint value is positive."""
        return self.constraints is None or all(c <= 0 for c in self.constraints)

    def with_changes(self, **changes: Any) -> FrozenTrial:
        """A copy with some fields replaced (records themselves never change)."""
        # Hand-rolled ``dataclasses.replace``: this sits on the per-trial hot path and is 4x faster.
        new = object.__new__(FrozenTrial)
        for name in _FIELD_NAMES:
            value = changes.pop(name) if name in changes else getattr(self, name)
            if name in _MAPPINGS and type(value) is not _ReadOnlyDict:
                value = _ReadOnlyDict(value)
            object.__setattr__(new, name, value)
        if changes:
            raise TypeError(f"FrozenTrial has no field(s) {sorted(changes)}.")
        return new


_FIELD_NAMES = tuple(f.name for f in fields(FrozenTrial))
_MAPPINGS = frozenset({"params", "distributions", "user_attrs", "intermediate_values"})


def as_float_tuple(values: Any, arg: str) -> tuple[float, ...]:
    """One number or a sequence of them as a tuple of finite floats (constraints, values)."""
    if is_real(values):
        values = [values]
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise TypeError(f"`{arg}` must be a sequence of numbers, but got {values!r}.") from None
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"`{arg}` must be finite numbers, but got {values!r}.")
    return out


def parse_values(
    values: Any, n_objectives: int, study_name: str
) -> tuple[tuple[float, ...] | None, str | None]:
    """An objective's result as one float per objective, or the reason it cannot be used.

    NaN, infinities, ``None`` and non-numbers give a reason (the trial then FAILs); a wrong
    count of values raises ``ValueError``, since it is no outcome of one evaluation but a
    mismatch with the study.
    """
    if values is None:
        return None, "the objective returned None"
    if isinstance(values, np.ndarray):  # a 0-d array is one number
        values = values.tolist() if values.ndim else [values.item()]
    elif isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        values = [values]
    m = n_objectives
    if len(values) != m:
        raise ValueError(
            f"Study {study_name!r} has {m} objective(s), so {m} value(s) are expected, "
            f"but got {len(values)}: {values!r}."
        )
    out = []
    for v in values:
        if not is_real(v):
            return None, f"the objective returned {v!r} ({type(v).__name__}), not a number"
        f = float(v)
        if not math.isfinite(f):
            return None, f"the objective returned {f}"
        out.append(f)
    return tuple(out), None


def as_directions(direction: str | None, directions: Sequence[str] | None) -> tuple[Direction, ...]:
    """The directions of a study from ``create_study``'s ``direction`` or ``directions``."""
    if direction is not None and directions is not None:
        raise ValueError(
            f"Give `direction` or `directions`, not both, but got direction={direction!r} and "
            f"directions={directions!r}."
        )
    if directions is None:
        directions = [direction or "minimize"]
    elif isinstance(directions, str) or not directions:
        raise ValueError(
            f"`directions` must be a non-empty list such as ['minimize', 'maximize'], but got "
            f"directions={directions!r}."
        )
    arg = "direction" if direction is not None else "directions"
    for d in directions:
        if d not in DIRECTIONS:
            raise ValueError(f"`{arg}` must be 'minimize' or 'maximize', but got {d!r}.")
    return tuple(directions)  # type: ignore[arg-type]


def check_finished_record(trial: Any, n_objectives: int, *, owner: str) -> None:
    """Refuse a record that cannot be imported into a study of ``n_objectives``: not a
    ``FrozenTrial``, not finished, the wrong count of values, or a parameter outside (or
    without) its distribution."""
    t = trial
    if not isinstance(t, FrozenTrial):
        raise TypeError(f"{owner}: expected FrozenTrial records, but got {t!r}.")
    if not t.state.is_finished():
        raise ValueError(
            f"{owner}: only finished trials can be added, but trial {t.number} is {t.state.name}."
        )
    if t.state is TrialState.COMPLETE or t.values is not None:
        n = 0 if t.values is None else len(t.values)
        if n != n_objectives:
            raise ValueError(
                f"{owner}: trial {t.number} has {n} value(s) but the study has "
                f"{n_objectives} objective(s)."
            )
    for name, value in t.params.items():
        dist = t.distributions.get(name)
        if dist is None:
            raise ValueError(
                f"{owner}: parameter {name!r} of trial {t.number} has no distribution; "
                f"`distributions` covers {sorted(t.distributions)}."
            )
        dist.validate(name, value)


def create_trial(
    *,
    params: Mapping[str, Any],
    distributions: Mapping[str, Any],
    value: float | None = None,
    values: Sequence[float] | None = None,
    state: TrialState = TrialState.COMPLETE,
    user_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
    constraints: Sequence[float] | None = None,
) -> FrozenTrial:
    """Build a finished trial record to import with ``Study.add_trial(s)``.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study()
        >>> study.add_trial(ts.create_trial(params={"x": 2.0},
        ...                                 distributions={"x": ts.Float(0, 5)}, value=4.0))
        0
        >>> study.best_params
        {'x': 2.0}
    """
    if value is not None and values is not None:
        raise ValueError("create_trial: give `value` or `values`, not both.")
    if not isinstance(state, TrialState) or not state.is_finished():
        raise ValueError(f"create_trial: `state` must be COMPLETE, PRUNED or FAIL, got {state!r}.")
    unknown = set(params) - set(distributions)
    if unknown:
        raise ValueError(
            f"create_trial: parameter(s) {sorted(unknown)} have no distribution; `distributions` "
            f"covers {sorted(distributions)}."
        )
    dists = {n: as_distribution(distributions[n], n) for n in params}
    for name, v in params.items():
        dists[name].validate(name, v)
    vals = None
    if value is not None or values is not None:
        vals = as_float_tuple(value if value is not None else values, "values")
    if state is TrialState.COMPLETE and vals is None:
        raise ValueError("create_trial: a COMPLETE trial needs `value` or `values`.")
    now = datetime.now(timezone.utc)
    return FrozenTrial(
        number=-1,
        state=state,
        values=vals,
        params=dict(params),
        distributions=dists,
        user_attrs=dict(user_attrs or {}),
        intermediate_values=dict(intermediate_values or {}),
        constraints=None if constraints is None else as_float_tuple(constraints, "constraints"),
        datetime_start=now,
        datetime_complete=now,
    )


class TrialsReader:
    """``get_trials`` and ``direction`` over ``trials`` and ``directions``, as ``Study`` has them.

    Mixed into ``Study`` (which syncs in its own ``get_trials``), ``StudySnapshot`` and
    ``tunesmith.storages.StudyView``, so a pruner written against a ``Study``
    (``study.get_trials(...)``, ``study.direction``) works with all three.
    """

    __slots__ = ()

    def get_trials(
        self: _HasTrials, states: Iterable[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Trials, optionally only those in ``states``."""
        trials = self.trials
        if states is None:
            return list(trials)
        wanted = frozenset(states)
        return [t for t in trials if t.state in wanted]

    @property
    def direction(self: _HasTrials) -> Direction:
        """The direction of a single-objective study."""
        if len(self.directions) != 1:
            raise RuntimeError("This study has several objectives; use `directions`.")
        return self.directions[0]


class _HasTrials(Protocol):
    @property
    def trials(self) -> Sequence[FrozenTrial]: ...

    @property
    def directions(self) -> tuple[Direction, ...]: ...


@dataclass(frozen=True, slots=True)
class StudySnapshot(TrialsReader):
    """A study's trials at one moment: what a pruner judges a trial against.

    It is a ``tunesmith.pruners.PruningContext``, like a ``Study`` or a
    ``tunesmith.storages.StudyView``, but never reads the storage again.

    Attributes:
        study_name: The study's name.
        directions: One direction per objective.
        trials: Every trial, in number order.
    """

    study_name: str
    directions: tuple[Direction, ...]
    trials: tuple[FrozenTrial, ...]
