"""``minimize`` / ``maximize``: one call, the scipy and scikit-optimize habit."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._checks import check_int
from .records import FrozenTrial
from .samplers import BaseSampler
from .space import Space, UnionSpace, as_space
from .storages import BaseStorage
from .study import Study, create_study

__all__ = ["OptimizeResult", "maximize", "minimize"]


@dataclass(frozen=True, slots=True)
class OptimizeResult:
    """What ``minimize`` and ``maximize`` return.

    Attributes:
        best_params: The best configuration found.
        best_value: Its objective value.
        best_trial: Its full record.
        trials: Every trial of the study, in order (a resumed study's earlier ones too).
        study: The study, to continue the search or inspect it.
    """

    best_params: dict[str, Any]
    best_value: float
    best_trial: FrozenTrial
    trials: list[FrozenTrial]
    study: Study


def _always_active(space: Space | UnionSpace) -> set[str]:
    """Names present in every configuration of ``space``."""
    subs = space.spaces if isinstance(space, UnionSpace) else (space,)
    return set.intersection(*({n for n in s.names if n not in s.conditions} for s in subs))


def _caller(func: Callable[..., Any], space: Space | UnionSpace) -> Callable[[dict[str, Any]], Any]:
    """Call ``func`` with keyword arguments when it takes the parameter names, else with a dict."""
    if not callable(func):
        raise TypeError(f"`func` must be callable, but got func={func!r}.")
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # builtins without a signature: pass the dict
        return func
    names = list(space.names)
    try:
        sig.bind(**dict.fromkeys(names))
    except TypeError:
        pass
    else:
        keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        always = _always_active(space)
        required = [
            p.name
            for p in sig.parameters.values()
            if p.kind in keyword and p.default is p.empty and p.name not in always
        ]
        if required:
            raise TypeError(
                f"`func` requires the argument(s) {required}, but those parameters are not always "
                f"active in the space (conditional, or in some sub-spaces only); give them a "
                f"default, e.g. `{required[0]}=None`. Its signature is {sig}."
            )
        return lambda config: func(**config)
    try:
        sig.bind({})
    except TypeError:
        raise TypeError(
            f"`func` must take the parameters {names} as keyword arguments, or one dict, but "
            f"its signature is {sig}."
        ) from None
    return func


@dataclass(frozen=True, slots=True)
class _Run:
    direction: str
    sampler: BaseSampler | None
    seed: int | None
    storage: str | BaseStorage | None
    study_name: str | None


def _run(func: Callable[..., Any], space: Any, n_trials: int, how: _Run) -> OptimizeResult:
    resolved = as_space(space)
    call = _caller(func, resolved)
    n_trials = check_int(n_trials, "n_trials", low=1)
    study = create_study(
        study_name=how.study_name,
        storage=how.storage,
        direction=how.direction,  # type: ignore[arg-type]
        sampler=how.sampler,
        seed=how.seed,
        load_if_exists=how.study_name is not None,
    )
    study.optimize(lambda trial: call(trial.params), n_trials=n_trials, space=resolved)
    try:
        best = study.best_trial
    except ValueError:
        errors = [t.error for t in study.trials if t.error]
        last = f" The last failure: {errors[-1]}" if errors else ""
        raise ValueError(
            f"No evaluation of `func` succeeded in study {study.study_name!r} "
            f"({len(study.trials)} trials).{last}"
        ) from None
    assert best.value is not None
    return OptimizeResult(dict(best.params), best.value, best, study.trials, study)


def minimize(
    func: Callable[..., Any],
    space: Any,
    n_trials: int,
    *,
    sampler: BaseSampler | None = None,
    seed: int | None = None,
    storage: str | BaseStorage | None = None,
    study_name: str | None = None,
) -> OptimizeResult:
    """Minimise ``func`` over ``space`` in ``n_trials`` evaluations.

    Args:
        func: Takes the configuration as keyword arguments (``f(x=..., y=...)``) or as one dict
            (``f(config)``) and returns a number. Keyword arguments for parameters that are not
            always active (conditional ones, or those of some sub-spaces only) need a default.
        space: Dict of name -> distribution (or list of values, or frozen scipy distribution),
            or a list of such dicts for disjoint sub-spaces.
        n_trials: Number of evaluations.
        sampler: Search strategy; default ``AutoSampler`` seeded by ``seed``.
        seed: Seed of the default sampler.
        storage: Where to keep the trials (``None`` in memory, or a database URL).
        study_name: Name of the study in ``storage``; an existing study of that name is resumed.

    Example:
        >>> import tunesmith as ts
        >>> result = ts.minimize(lambda x, y: x**2 + y**2,
        ...                      {"x": ts.Float(-1, 1), "y": ts.Float(-1, 1)}, n_trials=100, seed=0)
        >>> result.best_value < 0.05
        True
    """
    return _run(func, space, n_trials, _Run("minimize", sampler, seed, storage, study_name))


def maximize(
    func: Callable[..., Any],
    space: Any,
    n_trials: int,
    *,
    sampler: BaseSampler | None = None,
    seed: int | None = None,
    storage: str | BaseStorage | None = None,
    study_name: str | None = None,
) -> OptimizeResult:
    """Maximise ``func`` over ``space``; arguments as in ``minimize``."""
    return _run(func, space, n_trials, _Run("maximize", sampler, seed, storage, study_name))
