"""Distributions: the domain of one hyperparameter and its map to and from ``[0, 1]``.

Each hyperparameter is one dimension of the unit hypercube. Discrete domains (integers, stepped
floats, categoricals) with ``k`` values split ``[0, 1]`` into ``k`` equal bins and encode a value
as the centre of its bin, so a uniform point of the cube picks every value with equal chance.
``tunesmith.space`` combines distributions into a search space (and re-exports them).

Example:
    >>> import tunesmith as ts
    >>> ts.Int(2, 5).decode(0.0), ts.Categorical(["rbf", "poly"]).encode("poly")
    (2, 0.75)
    >>> ts.Float(0.0, 1.0, step=0.25).n_values()
    5
"""

from __future__ import annotations

import math
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import numpy as np

from ._checks import check_bool, check_float, is_int, is_real, message

__all__ = [
    "Categorical",
    "Conditional",
    "Distribution",
    "Fixed",
    "Float",
    "Int",
    "Scipy",
    "as_distribution",
    "choice_key",
    "distribution_from_dict",
]


class Distribution(ABC):
    """The domain of one hyperparameter and its map to and from ``[0, 1]``.

    Subclasses are frozen dataclasses, so two equal distributions compare equal and hash alike.
    """

    kind: ClassVar[str]

    @abstractmethod
    def decode(self, u: float) -> Any:
        """Value for the unit coordinate ``u`` (clipped into ``[0, 1]``)."""

    @abstractmethod
    def encode(self, value: Any) -> float:
        """Unit coordinate of ``value`` in ``[0, 1]``.

        ``decode(encode(v)) == v`` for every ``v`` that ``decode`` returns (so for every value of
        a discrete domain); a float that no unit coordinate decodes to exactly comes back as the
        nearest one that does.
        """

    @abstractmethod
    def contains(self, value: Any) -> bool:
        """Whether ``value`` belongs to the domain (type included: ``2.0`` is no ``Int`` value)."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description; ``distribution_from_dict`` inverts it."""

    def grid(self) -> list[Any] | None:
        """Every value of a finite domain in order, or ``None`` for a continuous one."""
        return None

    def n_values(self) -> int | None:
        """How many values a finite domain has (without listing them), ``None`` if continuous."""
        grid = self.grid()
        return None if grid is None else len(grid)

    def to_internal(self, value: Any) -> Any:
        """JSON-ready form of ``value`` for storage (categoricals store the index)."""
        return value

    def to_external(self, internal: Any) -> Any:
        """Inverse of ``to_internal``."""
        return internal

    def when(self, **parents: Any) -> Conditional:
        """Make this parameter active only when each named parent takes one of the given values.

        A list gives several allowed values; anything else is one value.

        Example:
            >>> import tunesmith as ts
            >>> ts.Int(2, 5).when(kernel=["poly", "sigmoid"]).parents
            {'kernel': ('poly', 'sigmoid')}
        """
        return Conditional(self, parents)

    def validate(self, name: str, value: Any) -> None:
        """Raise ``ValueError`` naming ``name`` when ``value`` is outside the domain."""
        if not self.contains(value):
            raise ValueError(f"Parameter {name!r}: {value!r} is not in {self!r}.")


def _range_dict(kind: str, low: Any, high: Any, log: bool, step: Any) -> dict[str, Any]:
    """``to_dict`` of ``Float`` and ``Int``: the same keys for both."""
    return {"kind": kind, "low": low, "high": high, "log": log, "step": step}


def _check_bounds(low: Any, high: Any, kind: str) -> None:
    for arg, v in (("low", low), ("high", high)):
        if type(v) is not float and not is_real(v):  # a float needs no ABC check
            raise TypeError(message(arg, "a finite number", v, kind))
        if not math.isfinite(v):
            raise ValueError(message(arg, "a finite number", v, kind))
    if low > high:
        raise ValueError(f"{kind}: `low <= high` must hold, but got (low={low!r}, high={high!r}).")
    if not math.isfinite(float(high) - float(low)):
        raise ValueError(
            f"{kind}: `high - low` must be a finite float, but got (low={low!r}, high={high!r})."
        )


@dataclass(frozen=True, slots=True)
class Float(Distribution):
    """A real hyperparameter in ``[low, high]``, optionally log-scaled or on a grid of ``step``.

    Args:
        low: Lower bound (inclusive).
        high: Upper bound (inclusive).
        log: Sample uniformly in ``log(value)``; needs ``low > 0``.
        step: Restrict values to ``low + k * step``; ``step`` must divide ``high - low``.

    Example:
        >>> import tunesmith as ts
        >>> round(ts.Float(1e-4, 1.0, log=True).decode(0.5), 12)
        0.01
        >>> ts.Float(0.0, 1.0, step=0.25).grid()
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """

    low: float
    high: float
    log: bool = field(default=False, kw_only=True)
    step: float | None = field(default=None, kw_only=True)
    kind: ClassVar[str] = "float"

    def __post_init__(self) -> None:
        _check_bounds(self.low, self.high, "Float")
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        object.__setattr__(self, "log", check_bool(self.log, "log", owner="Float"))
        if self.log and self.low <= 0:
            raise ValueError(
                f"Float: log=True needs `low > 0`, but got (low={self.low!r}, high={self.high!r})."
            )
        if self.step is not None:
            if self.log:
                raise ValueError(
                    "Float: `step` and log=True cannot be combined, but got "
                    f"(log=True, step={self.step!r}); give one of them."
                )
            step = check_float(
                self.step, "step", low=0.0, low_open=True, owner="Float", rule="a number > 0"
            )
            object.__setattr__(self, "step", step)
            if self._slack > 0.01:
                raise ValueError(
                    f"Float: `step` is too small to tell the values apart at this magnitude, but "
                    f"got (low={self.low!r}, high={self.high!r}, step={self.step!r})."
                )
            if not self._on_grid(self.high):
                raise ValueError(
                    f"Float: `step` must divide `high - low`, but got (low={self.low!r}, "
                    f"high={self.high!r}, step={self.step!r})."
                )

    @property
    def _slack(self) -> float:
        # ``x - low`` is off by up to a few ulps of the bounds: that many steps, at most.
        assert self.step is not None
        return 8 * sys.float_info.epsilon * max(abs(self.low), abs(self.high)) / self.step

    def _on_grid(self, x: float) -> bool:
        assert self.step is not None
        k = (x - self.low) / self.step
        return bool(abs(k - round(k)) <= 1e-8 * max(1.0, abs(k)) + self._slack)

    @property
    def _n_points(self) -> int:
        assert self.step is not None
        return round((self.high - self.low) / self.step) + 1

    def _point(self, k: int, n: int) -> float:
        # Decimal arithmetic on the shortest reprs gives the values a user expects (0.3, not
        # 0.30000000000000004 for step=0.1); the last point is ``high`` itself.
        if k >= n - 1:
            return self.high
        x = float(Decimal(repr(self.low)) + k * Decimal(repr(self.step)))
        return min(x, self.high)

    def decode(self, u: float) -> float:
        u = min(max(float(u), 0.0), 1.0)
        if self.step is not None:
            n = self._n_points
            return self._point(min(int(u * n), n - 1), n)
        if u in (0.0, 1.0):  # exact bounds (exp(log(low)) may miss low by an ulp)
            return self.high if u else self.low
        logs = self._logs()
        if logs is not None:
            x = math.exp(logs[0] + u * (logs[1] - logs[0]))
        else:
            x = self.low + u * (self.high - self.low)
        return min(max(x, self.low), self.high)

    def _logs(self) -> tuple[float, float] | None:
        """``(log(low), log(high))`` for log scaling; ``None`` if linear (or the logs are equal)."""
        if not self.log:
            return None
        lo, hi = math.log(self.low), math.log(self.high)
        return (lo, hi) if hi > lo else None

    def encode(self, value: Any) -> float:
        x = float(value)
        if self.step is not None:
            n = self._n_points
            return (min(max(round((x - self.low) / self.step), 0), n - 1) + 0.5) / n
        if self.high == self.low:
            return 0.5
        logs = self._logs()
        if logs is not None:
            u = (math.log(x) - logs[0]) / (logs[1] - logs[0])
        else:
            u = (x - self.low) / (self.high - self.low)
        u = min(max(u, 0.0), 1.0)
        # Rounding may leave decode(u) one ulp off x; a neighbour of u often hits x exactly.
        y = self.decode(u)
        if y != x:
            v = math.nextafter(u, 1.0 if y < x else 0.0)
            if self.decode(v) == x:
                return v
        return u

    def contains(self, value: Any) -> bool:
        if not is_real(value) or not self.low <= value <= self.high:
            return False
        if self.step is None:
            return True
        return self._on_grid(value)

    def grid(self) -> list[Any] | None:
        if self.step is None:
            return [self.low] if self.low == self.high else None
        n = self._n_points
        return [self._point(k, n) for k in range(n)]

    def n_values(self) -> int | None:
        if self.step is None:
            return 1 if self.low == self.high else None
        return self._n_points

    def to_dict(self) -> dict[str, Any]:
        return _range_dict(self.kind, self.low, self.high, self.log, self.step)

    def to_external(self, internal: Any) -> float:
        return float(internal)


@dataclass(frozen=True, slots=True)
class Int(Distribution):
    """An integer hyperparameter in ``[low, high]`` on multiples of ``step``, optionally log-scaled.

    Values always come back as Python ``int``.

    Args:
        low: Lower bound (inclusive).
        high: Upper bound (inclusive); ``high - low`` must be a multiple of ``step``.
        log: Sample uniformly in ``log(value)``; needs ``low >= 1`` and ``step == 1``.
        step: Spacing of the values.

    Example:
        >>> import tunesmith as ts
        >>> ts.Int(0, 10, step=5).grid()
        [0, 5, 10]
        >>> ts.Int(1, 1024, log=True).decode(0.5)
        32
    """

    low: int
    high: int
    log: bool = field(default=False, kw_only=True)
    step: int = field(default=1, kw_only=True)
    kind: ClassVar[str] = "int"

    def __post_init__(self) -> None:
        given: tuple[tuple[str, Any], ...] = (
            ("low", self.low),
            ("high", self.high),
            ("step", self.step),
        )
        for arg, v in given:
            if type(v) is int:  # the usual case, checked first: suggest_int builds one per call
                continue
            # An integral float (2.0) is an integer too; 2.5 is the wrong value, "2" the wrong type.
            if not is_real(v):
                raise TypeError(message(arg, "an integer", v, "Int"))
            if not is_int(v) and not float(v).is_integer():
                raise ValueError(message(arg, "an integer", v, "Int"))
            object.__setattr__(self, arg, int(v))
        if self.low > self.high:
            raise ValueError(
                f"Int: `low <= high` must hold, but got (low={self.low!r}, high={self.high!r})."
            )
        if self.step < 1:
            raise ValueError(f"Int: `step` must be >= 1, but got step={self.step!r}.")
        if (self.high - self.low) % self.step:
            raise ValueError(
                f"Int: `step` must divide `high - low`, but got (low={self.low!r}, "
                f"high={self.high!r}, step={self.step!r})."
            )
        object.__setattr__(self, "log", check_bool(self.log, "log", owner="Int"))
        if self.log and self.low < 1:
            raise ValueError(
                f"Int: log=True needs `low >= 1`, but got (low={self.low!r}, high={self.high!r})."
            )
        if self.log and self.step != 1:
            raise ValueError(f"Int: log=True needs step=1, but got step={self.step!r}.")

    def decode(self, u: float) -> int:
        u = min(max(float(u), 0.0), 1.0)
        if self.log:
            # Integer k owns [k, k + 1) of a log-uniform draw on [low, high + 1).
            lo, hi = math.log(self.low), math.log(self.high + 1)
            return min(max(math.floor(math.exp(lo + u * (hi - lo))), self.low), self.high)
        n = (self.high - self.low) // self.step + 1
        return self.low + min(int(u * n), n - 1) * self.step

    def encode(self, value: Any) -> float:
        x = int(value)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high + 1)
            centre = 0.5 * (math.log(x) + math.log(x + 1))  # floor(exp(centre)) == x
            return min(max((centre - lo) / (hi - lo), 0.0), 1.0)
        n = (self.high - self.low) // self.step + 1
        return (min(max((x - self.low) // self.step, 0), n - 1) + 0.5) / n

    def contains(self, value: Any) -> bool:
        return bool(
            is_int(value) and self.low <= value <= self.high and (value - self.low) % self.step == 0
        )

    def grid(self) -> list[Any] | None:
        return list(range(self.low, self.high + 1, self.step))

    def n_values(self) -> int:
        return (self.high - self.low) // self.step + 1

    def to_dict(self) -> dict[str, Any]:
        return _range_dict(self.kind, self.low, self.high, self.log, self.step)

    def to_external(self, internal: Any) -> int:
        return int(internal)


def choice_key(value: Any) -> Any:
    """Key that tells ``1``, ``1.0`` and ``True`` apart (they are equal in Python)."""
    if isinstance(value, tuple):
        return (tuple, tuple(choice_key(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return (id, id(value))
    return (type(value), value)


@dataclass(frozen=True, slots=True, eq=False)
class Categorical(Distribution):
    """One of a fixed list of choices: ``None``, bools, numbers, strings, tuples or any object.

    The chosen value itself comes back, never its index. SQL storages need JSON-ready choices
    (``None``, bools, numbers, strings and tuples of those).

    Example:
        >>> import tunesmith as ts
        >>> ts.Categorical([None, True, "auto", (1, 2)]).decode(0.99)
        (1, 2)
    """

    choices: tuple[Any, ...]
    kind: ClassVar[str] = "categorical"
    _index: dict[Any, int] = field(init=False, repr=False, compare=False)

    def __init__(self, choices: Sequence[Any] | np.ndarray) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, (Sequence, np.ndarray)):
            raise TypeError(
                f"Categorical: `choices` must be a list or tuple of values, but got {choices!r}."
            )
        values = tuple(choices.tolist() if isinstance(choices, np.ndarray) else choices)
        if not values:
            raise ValueError("Categorical: `choices` must not be empty, but got [].")
        index: dict[Any, int] = {}
        for i, v in enumerate(values):
            if isinstance(v, float) and math.isnan(v):
                raise ValueError(
                    f"Categorical: `choices` must not contain nan, but got {values!r}."
                )
            key = choice_key(v)
            if key in index:
                raise ValueError(
                    f"Categorical: `choices` must be distinct, but {v!r} appears twice in "
                    f"{list(values)!r}."
                )
            index[key] = i
        object.__setattr__(self, "choices", values)
        object.__setattr__(self, "_index", index)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Categorical) and list(self._index) == list(other._index)

    def __hash__(self) -> int:
        return hash(tuple(self._index))

    def index(self, value: Any) -> int:
        """Position of ``value`` among the choices; ``ValueError`` when absent."""
        i = self._index.get(choice_key(value))
        if i is None:
            raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}.")
        return i

    def decode(self, u: float) -> Any:
        k = len(self.choices)
        return self.choices[min(int(min(max(float(u), 0.0), 1.0) * k), k - 1)]

    def encode(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def contains(self, value: Any) -> bool:
        return choice_key(value) in self._index

    def grid(self) -> list[Any] | None:
        return list(self.choices)

    def n_values(self) -> int:
        return len(self.choices)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "choices": [_to_json_value(c) for c in self.choices]}

    def to_internal(self, value: Any) -> int:
        return self.index(value)

    def to_external(self, internal: Any) -> Any:
        return self.choices[int(internal)]


def _to_json_value(value: Any) -> Any:
    """Choices as JSON: tuples are tagged so they come back as tuples, not lists."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, tuple):
        return {"tuple": [_to_json_value(v) for v in value]}
    raise TypeError(
        f"Categorical choice {value!r} of type {type(value).__name__} cannot be stored as JSON; "
        "SQL storages accept None, bools, numbers, strings and tuples of those."
    )


def _from_json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(_from_json_value(v) for v in value["tuple"])
    return value


@dataclass(frozen=True, slots=True, eq=False)
class Scipy(Distribution):
    """A frozen ``scipy.stats`` distribution, sampled through its quantile function.

    ``uniform``, ``loguniform`` and ``randint`` become ``Float`` / ``Int`` in ``as_distribution``;
    this class covers the rest (normal, beta, poisson...). Discrete ones yield ``int``.
    """

    frozen: Any
    kind: ClassVar[str] = "scipy"

    def __post_init__(self) -> None:
        if not hasattr(self.frozen, "ppf") or not hasattr(self.frozen, "dist"):
            raise TypeError(
                f"Scipy: expected a frozen scipy.stats distribution, got {self.frozen!r}."
            )

    @property
    def _discrete(self) -> bool:
        import scipy.stats

        return isinstance(self.frozen.dist, scipy.stats.rv_discrete)

    def _key(self) -> tuple[str, tuple[Any, ...], tuple[tuple[str, Any], ...]]:
        return (
            self.frozen.dist.name,
            tuple(self.frozen.args),
            tuple(sorted(self.frozen.kwds.items())),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scipy) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        name, args, kwds = self._key()
        inner = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwds])
        return f"Scipy(scipy.stats.{name}({inner}))"

    def decode(self, u: float) -> Any:
        # Keep away from the quantiles 0 and 1, which are infinite for unbounded distributions.
        x = float(self.frozen.ppf(min(max(float(u), 1e-12), 1.0 - 1e-12)))
        return int(x) if self._discrete else x

    def encode(self, value: Any) -> float:
        if self._discrete:
            lo = float(self.frozen.cdf(value - 1))
            return min(max((lo + float(self.frozen.cdf(value))) / 2.0, 0.0), 1.0)
        return min(max(float(self.frozen.cdf(value)), 0.0), 1.0)

    def contains(self, value: Any) -> bool:
        if not is_real(value):
            return False
        if self._discrete and not isinstance(value, (int, np.integer)):
            return False
        lo, hi = self.frozen.support()
        return bool(lo <= value <= hi)

    def to_dict(self) -> dict[str, Any]:
        name, args, kwds = self._key()
        return {
            "kind": self.kind,
            "name": name,
            "args": [_to_json_value(a) for a in args],
            "kwds": {k: _to_json_value(v) for k, v in kwds},
        }

    def to_external(self, internal: Any) -> Any:
        return int(internal) if self._discrete else float(internal)


@dataclass(frozen=True, slots=True, eq=False)
class Fixed(Distribution):
    """One value given by ``enqueue_trial`` before the parameter's real domain is known.

    The trial replaces it with the real distribution when the objective suggests the parameter.
    """

    value: Any
    kind: ClassVar[str] = "fixed"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fixed) and choice_key(self.value) == choice_key(other.value)

    def __hash__(self) -> int:
        return hash(choice_key(self.value))

    def decode(self, u: float) -> Any:
        return self.value

    def encode(self, value: Any) -> float:
        return 0.5

    def contains(self, value: Any) -> bool:
        return bool(choice_key(value) == choice_key(self.value))

    def grid(self) -> list[Any] | None:
        return [self.value]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": _to_json_value(self.value)}

    def to_internal(self, value: Any) -> Any:
        return _to_json_value(value)  # tuples stay tuples through JSON

    def to_external(self, internal: Any) -> Any:
        return _from_json_value(internal)


def distribution_from_dict(data: Mapping[str, Any]) -> Distribution:
    """Rebuild a distribution from ``Distribution.to_dict()`` output."""
    kind = data.get("kind")
    if kind == "float":
        return Float(data["low"], data["high"], log=data["log"], step=data["step"])
    if kind == "int":
        return Int(data["low"], data["high"], log=data["log"], step=data["step"])
    if kind == "categorical":
        return Categorical([_from_json_value(c) for c in data["choices"]])
    if kind == "fixed":
        return Fixed(_from_json_value(data["value"]))
    if kind == "scipy":
        import scipy.stats

        return Scipy(getattr(scipy.stats, data["name"])(*data["args"], **data["kwds"]))
    raise ValueError(
        f"Unknown distribution kind {kind!r}; expected float, int, categorical, scipy or fixed."
    )


@dataclass(frozen=True, slots=True)
class Conditional:
    """A distribution that is active only when its parents take given values.

    Built with ``Distribution.when``; ``parents`` maps each parent name to its allowed values.
    """

    distribution: Distribution
    parents: dict[str, tuple[Any, ...]]

    def __init__(self, distribution: Distribution, parents: Mapping[str, Any]) -> None:
        if not parents:
            raise ValueError("when(): name at least one parent, e.g. .when(kernel='poly').")
        normalized = {
            name: tuple(values) if isinstance(values, list) else (values,)
            for name, values in parents.items()
        }
        for name, values in normalized.items():
            if not values:
                raise ValueError(f"when(): parent {name!r} needs at least one allowed value.")
        object.__setattr__(self, "distribution", distribution)
        object.__setattr__(self, "parents", normalized)

    def when(self, **parents: Any) -> Conditional:
        """Add more parents; the parameter is active only when all conditions hold."""
        return Conditional(self.distribution, {**self.parents, **parents})


def as_distribution(spec: Any, name: str = "?") -> Distribution:
    """Turn a tunesmith distribution, a list of values or a frozen scipy distribution into one.

    Example:
        >>> import scipy.stats, tunesmith as ts
        >>> ts.as_distribution([1, 10, 100])
        Categorical(choices=(1, 10, 100))
        >>> ts.as_distribution(scipy.stats.loguniform(1e-3, 1e3))
        Float(low=0.001, high=1000.0, log=True, step=None)
    """
    if isinstance(spec, Distribution):
        return spec
    if isinstance(spec, np.ndarray):
        return Categorical(spec.tolist())  # Python scalars, not numpy ones
    if isinstance(spec, (list, tuple, range)):
        return Categorical(list(spec))
    if hasattr(spec, "ppf") and hasattr(spec, "dist"):
        return _from_scipy(spec)
    raise TypeError(
        f"Parameter {name!r}: expected a tunesmith distribution (Float, Int, Categorical), a list "
        f"of values or a frozen scipy.stats distribution, but got {spec!r}."
    )


def _from_scipy(frozen: Any) -> Distribution:
    name = frozen.dist.name
    lo, hi = (float(b) for b in frozen.support())
    if name == "randint":  # a shift (loc) keeps it uniform on the integers of its support
        return Int(int(lo), int(hi))
    if name == "uniform":
        return Float(lo, hi)
    # loc or scale may be given positionally; log-uniform only if the median is the geometric mean
    if (
        name in ("loguniform", "reciprocal")
        and lo > 0
        and math.isclose(float(frozen.ppf(0.5)), math.sqrt(lo * hi), rel_tol=1e-9)
    ):
        return Float(lo, hi, log=True)
    return Scipy(frozen)
