"""Search spaces: named distributions, conditions, and the one encoding every sampler shares.

Each hyperparameter is one dimension of the unit hypercube ``[0, 1]^d``. ``decode`` maps a point of
the cube to a configuration (only the active parameters), ``encode`` maps a configuration back,
with ``nan`` for the dimensions of inactive conditional parameters. The distributions themselves
live in ``tunesmith.distributions`` and are importable from here too.

Example:
    >>> import tunesmith as ts
    >>> space = ts.Space({
    ...     "kernel": ts.Categorical(["rbf", "poly"]),
    ...     "C": ts.Float(1e-3, 1e3, log=True),
    ...     "degree": ts.Int(2, 5).when(kernel="poly"),
    ... })
    >>> space.decode([0.9, 0.5, 0.0])
    {'kernel': 'poly', 'C': 1.0, 'degree': 2}
    >>> space.encode({"kernel": "rbf", "C": 1.0})
    array([0.25, 0.5 ,  nan])
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np

from ._checks import is_real
from .distributions import (
    Categorical,
    Conditional,
    Distribution,
    Fixed,
    Float,
    Int,
    Scipy,
    as_distribution,
    choice_key,
    distribution_from_dict,
)

__all__ = [
    "Categorical",
    "Conditional",
    "Distribution",
    "Fixed",
    "Float",
    "Int",
    "Scipy",
    "Space",
    "SpaceLike",
    "UnionSpace",
    "as_distribution",
    "as_space",
    "distribution_from_dict",
    "distributions_for",
]


#: ``propose(space)``: the sampler's configuration of ``space`` (see ``Space.complete``).
Proposer: TypeAlias = "Callable[[Space], Mapping[str, Any]]"
#: ``sample(name, distribution, params_so_far)``: a value for one parameter.
ValueSampler: TypeAlias = Callable[[str, Distribution, Mapping[str, Any]], Any]


class _Encoding(ABC):
    """What ``Space`` and ``UnionSpace`` share: batch forms of their ``encode`` / ``decode``."""

    __slots__ = ()

    @property
    @abstractmethod
    def n_dims(self) -> int:
        """Dimensions of the unit cube."""

    @abstractmethod
    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Point of shape ``(d,)`` for a configuration."""

    @abstractmethod
    def decode(self, u: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """Configuration for a point of shape ``(d,)``."""

    def encode_many(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Array of shape ``(n, d)`` for ``n`` configurations."""
        if not configs:
            return np.empty((0, self.n_dims))
        return np.stack([self.encode(c) for c in configs])

    def decode_many(self, points: np.ndarray) -> list[dict[str, Any]]:
        """Configurations for an ``(n, d)`` array of points."""
        return [self.decode(row) for row in np.asarray(points, dtype=float)]


class Space(_Encoding):
    """A search space: named distributions, some of them conditional on others.

    Args:
        params: Mapping of name to a distribution, a ``Conditional`` (from ``.when``), a list of
            values or a frozen ``scipy.stats`` distribution.

    Parameters are kept in an order where every parent precedes its children; the unit-cube
    dimensions follow that order.

    Example:
        >>> import tunesmith as ts
        >>> space = ts.Space({"x": ts.Float(-5, 5), "n": ts.Int(1, 3)})
        >>> space.names, space.n_dims
        (('x', 'n'), 2)
        >>> space.decode([0.5, 0.0])
        {'x': 0.0, 'n': 1}
    """

    __slots__ = ("_conditions", "_items", "distributions", "names")

    def __init__(self, params: Mapping[str, Any]) -> None:
        if not isinstance(params, Mapping):
            raise TypeError(f"Space: expected a dict of name -> distribution, but got {params!r}.")
        dists: dict[str, Distribution] = {}
        conditions: dict[str, dict[str, tuple[Any, ...]]] = {}
        for name, spec in params.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"Space: parameter names must be non-empty strings, got {name!r}.")
            if isinstance(spec, Conditional):
                dists[name] = spec.distribution
                conditions[name] = spec.parents
            else:
                dists[name] = as_distribution(spec, name)
        order = _parents_first(dists, conditions)
        self.names: tuple[str, ...] = tuple(order)
        self.distributions: dict[str, Distribution] = {n: dists[n] for n in order}
        self._conditions = conditions
        self._items = tuple(
            (n, dists[n], None if n not in conditions else _compile(dists, conditions[n]))
            for n in order
        )

    @property
    def n_dims(self) -> int:
        return len(self.names)

    @property
    def conditions(self) -> Mapping[str, Mapping[str, tuple[Any, ...]]]:
        """Parent conditions of every conditional parameter."""
        return self._conditions

    def __repr__(self) -> str:
        return f"Space({self.distributions!r}, conditions={self._conditions!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self._items == other._items

    def __hash__(self) -> int:
        return hash(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.distributions

    @staticmethod
    def _active(cond: _Compiled | None, params: Mapping[str, Any]) -> bool:
        if cond is None:
            return True
        return all(
            parent in params and _cond_key(numeric, params[parent]) in keys
            for parent, numeric, keys in cond
        )

    def is_active(self, name: str, params: Mapping[str, Any]) -> bool:
        """Whether ``name`` is active given the values of its parents in ``params``."""
        for n, _, cond in self._items:
            if n == name:
                return self._active(cond, params)
        return True  # not a parameter of this space: nothing makes it inactive

    def decode(self, u: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """Configuration for a point ``u`` of shape ``(d,)``; inactive parameters are left out."""
        params: dict[str, Any] = {}
        for (name, dist, cond), ui in zip(self._items, u, strict=True):
            if cond is None or self._active(cond, params):
                params[name] = dist.decode(ui)
        return params

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Point of shape ``(d,)`` for a configuration; ``nan`` where a parameter is inactive."""
        out = np.full(len(self._items), np.nan)
        for i, (name, dist, cond) in enumerate(self._items):
            if name in params and (cond is None or self._active(cond, params)):
                out[i] = dist.encode(params[name])
        return out

    def validate(self, params: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` unless ``params`` is a complete configuration of this space.

        Every active parameter must be present and in its domain; nothing else may be given.
        """
        unknown = set(params) - set(self.names)
        if unknown:
            raise ValueError(
                f"Unknown parameter(s) {sorted(unknown)}; the space has {list(self.names)}."
            )
        for name, dist, cond in self._items:
            active = cond is None or self._active(cond, params)
            if active and name not in params:
                raise ValueError(f"Parameter {name!r} is active but missing from {dict(params)!r}.")
            if not active and name in params:
                raise ValueError(
                    f"Parameter {name!r} is given but inactive: it needs "
                    f"{self._conditions[name]!r}."
                )
            if active:
                dist.validate(name, params[name])

    def complete(
        self, fixed: Mapping[str, Any], propose: Proposer, sample: ValueSampler
    ) -> dict[str, Any]:
        """A whole configuration that keeps the ``fixed`` values (an enqueued partial one).

        A complete ``fixed`` comes back as is. Otherwise the other active parameters come from
        ``propose(self)``; a parent that a fixed conditional parameter needs keeps the
        proposal's value if it is allowed, else takes the first allowed value; a parameter the
        proposal lacks (it chose another branch of a condition) comes from
        ``sample(name, distribution, params_so_far)``.

        Raises:
            ValueError: A fixed value is outside its domain, or a fixed parameter is inactive
                given the others.

        Example:
            >>> import tunesmith as ts
            >>> space = ts.Space({"kernel": ["rbf", "poly"], "degree": ts.Int(2, 5).when(
            ...     kernel="poly")})
            >>> space.complete({"degree": 3}, lambda s: {"kernel": "rbf"}, lambda n, d, p: None)
            {'kernel': 'poly', 'degree': 3}
        """
        try:
            self.validate(fixed)
            return dict(fixed)
        except ValueError:
            pass
        for name, value in fixed.items():
            if name in self:
                self.distributions[name].validate(name, value)
        # Parents that the fixed conditional parameters need, with their allowed values.
        needed: dict[str, tuple[Any, ...]] = {}
        todo = [n for n in fixed if n in self]
        while todo:
            for parent, allowed in self._conditions.get(todo.pop(), {}).items():
                if parent not in fixed and parent not in needed:
                    needed[parent] = allowed
                    todo.append(parent)
        proposal = propose(self)
        params: dict[str, Any] = {}
        for name in self.names:
            if not self.is_active(name, params):
                continue
            if name in fixed:
                params[name] = fixed[name]
            elif name in needed and name in proposal and proposal[name] in needed[name]:
                params[name] = proposal[name]
            elif name in needed:  # the value a fixed child parameter needs
                params[name] = needed[name][0]
            elif name in proposal:
                params[name] = proposal[name]
            else:  # the proposal chose another branch of a condition
                params[name] = sample(name, self.distributions[name], params)
        extra = set(fixed) - set(params)
        if extra:
            raise ValueError(
                f"Enqueued parameter(s) {sorted(extra)} are not active parameters of the space "
                f"{list(self.names)} given the other values {params!r}."
            )
        self.validate(params)
        return params

    def grid(self) -> list[dict[str, Any]]:
        """Every configuration of a finite space, in a stable order (the first name varies slowest).

        Raises:
            ValueError: A parameter is continuous (a float without ``step`` or a scipy density).
        """
        values: dict[str, list[Any]] = {}
        for name, dist in self.distributions.items():
            g = dist.grid()
            if g is None:
                raise ValueError(
                    f"Parameter {name!r} ({dist!r}) is continuous and cannot be enumerated; give "
                    "a list of values or a step."
                )
            values[name] = g
        configs: list[dict[str, Any]] = [{}]
        for name, _, cond in self._items:
            nxt: list[dict[str, Any]] = []
            for c in configs:
                if cond is None or self._active(cond, c):
                    nxt.extend({**c, name: v} for v in values[name])
                else:
                    nxt.append(c)
            configs = nxt
        return configs


# A compiled condition: (parent, compare numerically?, keys of the allowed values) per parent.
_Compiled: TypeAlias = tuple[tuple[str, bool, frozenset[Any]], ...]


def _cond_key(numeric: bool, value: Any) -> Any:
    # A number parent compares by value (1 == 1.0 == np.int64(1)); others by exact choice.
    return ("num", value) if numeric and is_real(value) else choice_key(value)


def _compile(
    dists: Mapping[str, Distribution], parents: Mapping[str, tuple[Any, ...]]
) -> _Compiled:
    out = []
    for parent, allowed in parents.items():
        dist = dists[parent]
        numeric = isinstance(dist, (Float, Int, Scipy))
        values = allowed
        if isinstance(dist, Float) and dist.step is not None:  # the grid value decode yields
            values = tuple(dist.decode(dist.encode(a)) for a in allowed)
        out.append((parent, numeric, frozenset(_cond_key(numeric, a) for a in values)))
    return tuple(out)


def _parents_first(
    dists: Mapping[str, Distribution], conditions: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    for child, parents in conditions.items():
        for parent, allowed in parents.items():
            if parent not in dists:
                raise ValueError(
                    f"Parameter {child!r} is conditional on {parent!r}, which is not in the space "
                    f"{list(dists)}."
                )
            for value in allowed:
                if not dists[parent].contains(value):
                    raise ValueError(
                        f"Parameter {child!r} is conditional on {parent}={value!r}, which "
                        f"{parent!r} ({dists[parent]!r}) can never take."
                    )
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ValueError(f"Conditions form a cycle: {' -> '.join((*path, name))}.")
        state[name] = 1
        for parent in conditions.get(name, {}):
            visit(parent, (*path, name))
        state[name] = 2
        order.append(name)

    for name in dists:
        visit(name, ())
    return order


class UnionSpace(_Encoding):
    """Disjoint sub-spaces, like scikit-learn's list of parameter grids.

    The first unit-cube dimension chooses the sub-space; each sub-space has its own dimensions
    after it (``nan`` when another sub-space is chosen). A name may appear in several sub-spaces
    with different domains.

    Example:
        >>> import tunesmith as ts
        >>> space = ts.as_space([{"kernel": ["linear"], "C": [1, 10]},
        ...                      {"kernel": ["rbf"], "gamma": [0.1, 1.0]}])
        >>> len(space.grid())
        4
        >>> space.decode([0.9, 0.0, 0.0, 0.0, 0.9])
        {'kernel': 'rbf', 'gamma': 1.0}
    """

    __slots__ = ("_offsets", "spaces")

    def __init__(self, spaces: Sequence[Space]) -> None:
        if not spaces:
            raise ValueError("UnionSpace: give at least one sub-space, but got [].")
        self.spaces = tuple(spaces)
        offsets, total = [], 1
        for s in self.spaces:
            offsets.append(total)
            total += s.n_dims
        self._offsets = tuple(offsets)

    @property
    def n_dims(self) -> int:
        return 1 + sum(s.n_dims for s in self.spaces)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for s in self.spaces for n in s.names))

    @property
    def distributions(self) -> dict[str, Distribution]:
        """First domain seen for each name."""
        out: dict[str, Distribution] = {}
        for s in self.spaces:
            for n, d in s.distributions.items():
                out.setdefault(n, d)
        return out

    def __repr__(self) -> str:
        return f"UnionSpace({list(self.spaces)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnionSpace) and self.spaces == other.spaces

    def __hash__(self) -> int:
        return hash(self.spaces)

    def __contains__(self, name: object) -> bool:
        return any(name in s for s in self.spaces)

    def branch_of(self, params: Mapping[str, Any]) -> int:
        """Index of the first sub-space that holds ``params``; ``ValueError`` if none does."""
        for i, s in enumerate(self.spaces):
            try:
                s.validate(params)
            except ValueError:
                continue
            return i
        raise ValueError(f"{dict(params)!r} belongs to none of the {len(self.spaces)} sub-spaces.")

    def decode(self, u: Sequence[float] | np.ndarray) -> dict[str, Any]:
        k = len(self.spaces)
        b = min(int(min(max(float(u[0]), 0.0), 1.0) * k), k - 1)
        start = self._offsets[b]
        return self.spaces[b].decode(u[start : start + self.spaces[b].n_dims])

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        b = self.branch_of(params)
        out = np.full(self.n_dims, np.nan)
        out[0] = (b + 0.5) / len(self.spaces)
        start = self._offsets[b]
        out[start : start + self.spaces[b].n_dims] = self.spaces[b].encode(params)
        return out

    def validate(self, params: Mapping[str, Any]) -> None:
        self.branch_of(params)

    def is_active(self, name: str, params: Mapping[str, Any]) -> bool:
        return name in params

    def grid(self) -> list[dict[str, Any]]:
        return [c for s in self.spaces for c in s.grid()]

    def complete(
        self, fixed: Mapping[str, Any], propose: Proposer, sample: ValueSampler
    ) -> dict[str, Any]:
        """``Space.complete`` in the first sub-space that can hold ``fixed``."""
        try:
            self.validate(fixed)
            return dict(fixed)
        except ValueError:
            pass
        errors = []
        for sub in self.spaces:
            if set(fixed) <= set(sub.names):
                try:
                    return sub.complete(fixed, propose, sample)
                except ValueError as exc:
                    errors.append(str(exc))
        raise ValueError(
            f"{dict(fixed)!r} fits none of the {len(self.spaces)} sub-spaces"
            + (f" ({'; '.join(errors)})." if errors else ".")
        )

    def distributions_for(self, params: Mapping[str, Any]) -> dict[str, Distribution]:
        dists = self.spaces[self.branch_of(params)].distributions
        return {n: dists[n] for n in params}


SpaceLike: TypeAlias = "Space | UnionSpace | Mapping[str, Any] | Sequence[Mapping[str, Any]]"


def as_space(spec: Any) -> Space | UnionSpace:
    """Build a space from a ``Space``, a dict of name -> spec, or a list of such dicts.

    Example:
        >>> import tunesmith as ts
        >>> ts.as_space({"lr": ts.Float(1e-4, 1e-1, log=True), "act": ["relu", "gelu"]}).names
        ('lr', 'act')
    """
    if isinstance(spec, (Space, UnionSpace)):
        return spec
    if isinstance(spec, Mapping):
        return Space(spec)
    if (
        isinstance(spec, Sequence)
        and not isinstance(spec, (str, bytes))
        and spec
        and all(isinstance(s, Mapping) for s in spec)
    ):
        subs = [Space(s) for s in spec]
        return subs[0] if len(subs) == 1 else UnionSpace(subs)
    raise TypeError(
        f"space: expected a dict of name -> distribution, a Space or a list of dicts, but got "
        f"{spec!r}."
    )


def distributions_for(
    space: Space | UnionSpace, params: Mapping[str, Any]
) -> dict[str, Distribution]:
    """The domain of each parameter of ``params`` in ``space`` (sub-space aware)."""
    if isinstance(space, UnionSpace):
        return space.distributions_for(params)
    return {n: space.distributions[n] for n in params}
