"""Trials: the live ``Trial`` an objective receives and the immutable ``FrozenTrial`` record."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from ._errors import TrialFinishedError
from .space import Categorical, Distribution, Float, Int, as_distribution

if TYPE_CHECKING:
    from .study import Study

__all__ = ["FrozenTrial", "Trial", "TrialPruned", "TrialState"]


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


class TrialPruned(Exception):  # the name users know from Optuna
    """Raise from an objective to stop a trial early; it is recorded as PRUNED."""


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


class Trial:
    """A running trial, handed to the objective (define-by-run) or returned by ``Study.ask``.

    Call ``suggest_*`` to draw hyperparameters; each name keeps its value for the whole trial.
    Report results with ``Study.tell`` (``Study.optimize`` does it for you).

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(seed=0)
        >>> trial = study.ask()
        >>> x = trial.suggest_float("x", -1.0, 1.0)
        >>> study.tell(trial, x**2).state
        <TrialState.COMPLETE: 'COMPLETE'>
    """

    __slots__ = (
        "_constraints",
        "_distributions",
        "_finished",
        "_fixed",
        "_intermediate",
        "_params",
        "_proposal",
        "_study",
        "datetime_start",
        "number",
        "user_attrs",
    )

    def __init__(
        self,
        study: Study,
        number: int,
        *,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        datetime_start: datetime | None = None,
        fixed: frozenset[str] = frozenset(),
    ) -> None:
        self._study = study
        self._fixed = fixed  # enqueued names not suggested yet: their domain is learnt on suggest
        self.number = number
        self._params: dict[str, Any] = dict(params or {})
        self._distributions: dict[str, Distribution] = dict(distributions or {})
        self._proposal: dict[str, Any] | None = None
        self.user_attrs: dict[str, Any] = dict(user_attrs or {})
        self._intermediate: dict[int, float] = {}
        self._constraints: tuple[float, ...] | None = None
        self._finished = False
        self.datetime_start = datetime_start

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params!r})"

    @property
    def study(self) -> Study:
        return self._study

    @property
    def params(self) -> dict[str, Any]:
        """Parameters drawn so far (the whole configuration for ``ask(space)`` trials)."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._distributions)

    @property
    def intermediate_values(self) -> dict[int, float]:
        return dict(self._intermediate)

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Draw a float in ``[low, high]`` (see ``tunesmith.Float``)."""
        value: float = self.suggest(name, Float(low, high, step=step, log=log))
        return value

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Draw an int in ``[low, high]`` (see ``tunesmith.Int``)."""
        value: int = self.suggest(name, Int(low, high, step=step, log=log))
        return value

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """Draw one of ``choices`` (see ``tunesmith.Categorical``)."""
        return self.suggest(name, Categorical(choices))

    def suggest(self, name: str, distribution: Any) -> Any:
        """Draw ``name`` from any distribution, list of values or frozen scipy distribution."""
        dist = as_distribution(distribution, name)
        known = self._distributions.get(name)
        if known == dist:
            if name in self._fixed:
                self._fixed -= {name}
            return self._params[name]
        self._check_not_finished()
        if known is not None and name not in self._fixed:
            raise ValueError(
                f"Parameter {name!r} was already drawn in trial {self.number} from {known!r}; "
                f"it cannot be drawn again from {dist!r}."
            )
        value = self._study._suggest(self, name, dist)
        self._params[name] = value
        self._distributions[name] = dist
        self._fixed -= {name}
        return value

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-ready value to the trial; stored when the trial is told."""
        self._check_not_finished()
        self.user_attrs[key] = value

    def set_constraints(self, constraints: Sequence[float]) -> None:
        """Record constraint values; the trial is feasible when every value is ``<= 0``."""
        self._check_not_finished()
        values = _as_float_tuple(constraints, "constraints")
        self._study._check_constraints(values, self.number)
        self._constraints = values

    def report(self, value: float, step: int) -> None:
        """Record an intermediate objective value (a learning-curve point) at ``step``.

        The value is stored at once, so it survives a crash, and a pruned trial keeps its curve.
        Reporting a step again keeps the first value (a retried epoch does not rewrite history,
        and every worker sees one curve); a non-finite value is stored as given and pruners treat
        it as the worst value.
        """
        self._check_not_finished()
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"report: `step` must be an int >= 0, but got step={step!r}.")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"report: `value` must be a number, but got value={value!r}.") from None
        if step in self._intermediate:
            return
        self._intermediate[step] = v
        self._study._report(self)

    def should_prune(self) -> bool:
        """Whether the study's pruner says to stop this trial now, from the reports so far.

        Call it after ``report``; when it returns ``True``, ``raise tunesmith.TrialPruned()``
        (``optimize`` then stores the trial as PRUNED with its last reported value) or tell the
        trial with ``state="PRUNED"``. Several workers on one storage prune from one shared
        history of learning curves.

        Example:
            >>> import tunesmith as ts
            >>> study = ts.create_study(pruner=ts.pruners.ThresholdPruner(upper=1.0))
            >>> trial = study.ask()
            >>> trial.report(5.0, step=0)
            >>> trial.should_prune()
            True
        """
        self._check_not_finished()
        return self._study._should_prune(self)

    def _check_not_finished(self) -> None:
        if self._finished:
            raise TrialFinishedError(f"Trial {self.number} is finished; it can no longer change.")


def _as_float_tuple(values: Any, arg: str) -> tuple[float, ...]:
    if isinstance(values, (int, float)) and not isinstance(values, bool):
        values = [values]
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise TypeError(f"`{arg}` must be a sequence of numbers, but got {values!r}.") from None
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"`{arg}` must be finite numbers, but got {values!r}.")
    return out
