"""``minimize`` / ``maximize``: one call, the scipy and scikit-optimize habit."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .samplers import BaseSampler
from .space import as_space
from .storages import BaseStorage
from .study import Study, create_study
from .trial import FrozenTrial

__all__ = ["OptimizeResult", "maximize", "minimize"]


@dataclass(frozen=True, slots=True)
class OptimizeResult:
    """What ``minimize`` and ``maximize`` return.

    Attributes:
        best_params: The best configuration found.
        best_value: Its objective value.
        best_trial: Its full record.
        trials: Every trial of the run, in order.
        study: The study, to continue the search or inspect it.
    """

    best_params: dict[str, Any]
    best_value: float
    best_trial: FrozenTrial
    trials: list[FrozenTrial]
    study: Study


def _caller(func: Callable[..., Any], names: tuple[str, ...]) -> Callable[[dict[str, Any]], Any]:
    """Call ``func`` with keyword arguments when it takes the parameter names, else with a dict."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # builtins without a signature: pass the dict
        return func
    params = sig.parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return lambda config: func(**config)
    accepted = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    if names and set(names) <= accepted:
        return lambda config: func(**config)
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if positional:
        return func
    raise TypeError(
        f"`func` must take the parameters {list(names)} as keyword arguments, or one dict, but "
        f"its signature is {sig}."
    )


def _run(
    func: Callable[..., Any],
    space: Any,
    n_trials: int,
    direction: str,
    sampler: BaseSampler | None,
    seed: int | None,
    storage: str | BaseStorage | None,
    study_name: str | None,
) -> OptimizeResult:
    resolved = as_space(space)
    call = _caller(func, resolved.names)
    study = create_study(
        study_name=study_name,
        storage=storage,
        direction=direction,  # type: ignore[arg-type]
        sampler=sampler,
        seed=seed,
        load_if_exists=study_name is not None,
    )

    study.optimize(lambda trial: call(trial.params), n_trials=n_trials, space=resolved)
    best = study.best_trial
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
            (``f(config)``) and returns a number.
        space: Dict of name -> distribution (or list of values, or frozen scipy distribution),
            or a list of such dicts for disjoint sub-spaces.
        n_trials: Number of evaluations.
        sampler: Search strategy; default random search seeded by ``seed``.
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
    return _run(func, space, n_trials, "minimize", sampler, seed, storage, study_name)


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
    return _run(func, space, n_trials, "maximize", sampler, seed, storage, study_name)
