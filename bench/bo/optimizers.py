"""Optimizer adapters: each runs ``budget`` evaluations of a problem with one library, seeded.

An adapter is a name -> ``Optimizer`` entry of ``OPTIMIZERS``: ``run(problem, seed, budget, f)``
drives the library's own loop (ask/tell where it has one) and calls ``f(params)`` once per
evaluation with the active parameters as tunesmith values; ``f`` times itself, so whatever happens
between two calls is the optimizer's time. ``missing(name)`` imports what it needs and says
why it cannot run (a package not installed, a tunesmith sampler not written yet); the runner skips
it with that note.

Each library gets its defaults, with the space translated into its own types: log-scaled floats,
integers, categoricals, and conditional parameters where it has them (Optuna: define-by-run;
Hyperopt: nested ``hp.choice``; SMAC: ConfigSpace conditions). scikit-optimize has no conditions:
it searches the flattened space and the objective sees only the active parameters.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tunesmith as ts

from .problems import Problem

__all__ = ["OPTIMIZERS", "Objective", "Optimizer", "missing"]

Objective = Callable[[dict[str, Any]], float]


@dataclass(frozen=True)
class Optimizer:
    """How to run one optimizer, and what it needs.

    Attributes:
        run: ``run(problem, seed, budget, f)`` evaluates ``f`` ``budget`` times.
        version: The version recorded with each run.
        modules: Imported before the clock starts (``missing`` does it), so no run pays for them.
    """

    run: Callable[[Problem, int, int, Objective], None]
    version: Callable[[], str]
    modules: tuple[str, ...] = ()


def missing(name: str) -> str | None:
    """Import what optimizer ``name`` needs; say why it cannot run here, or ``None`` if it can."""
    optimizer = OPTIMIZERS[name]
    try:
        for module in optimizer.modules:
            importlib.import_module(module)
        optimizer.version()
    except (ImportError, AttributeError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _version(dist: str) -> Callable[[], str]:
    return lambda: importlib.metadata.version(dist)


def _space(problem: Problem) -> ts.Space:
    space = ts.as_space(problem.space)
    assert isinstance(space, ts.Space)
    return space


def _active(space: ts.Space, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without the parameters their parents switch off (for flattened spaces)."""
    out: dict[str, Any] = {}
    for name in space.names:  # parents come first
        if space.is_active(name, out):
            out[name] = params[name]
    return out


def _coerce(dist: ts.Distribution, value: Any) -> Any:
    """A library's number as the tunesmith value (ints from floats, numpy scalars to Python)."""
    if isinstance(dist, ts.Int):
        return min(max(round(float(value)), dist.low), dist.high)
    if isinstance(dist, ts.Float):
        return min(max(float(value), dist.low), dist.high)
    return value


# -- tunesmith -----------------------------------------------------------------------------------
def _tunesmith(sampler: str) -> Optimizer:
    def make(seed: int) -> ts.samplers.BaseSampler:
        cls: Any = getattr(ts.samplers, sampler)
        made: ts.samplers.BaseSampler = cls(seed=seed)
        return made

    def run(problem: Problem, seed: int, budget: int, f: Objective) -> None:
        study = ts.create_study(sampler=make(seed), direction="minimize")
        for _ in range(budget):
            trial = study.ask(problem.space)
            study.tell(trial, f(trial.params))

    def version() -> str:
        getattr(ts.samplers, sampler)  # AttributeError until the sampler exists
        return ts.__version__

    return Optimizer(run, version)


# -- Optuna --------------------------------------------------------------------------------------
def _optuna(sampler: str) -> Optimizer:
    def run(problem: Problem, seed: int, budget: int, f: Objective) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        space = _space(problem)
        study = optuna.create_study(sampler=getattr(optuna.samplers, sampler)(seed=seed))
        for _ in range(budget):
            trial = study.ask()
            params: dict[str, Any] = {}
            for name, dist in space.distributions.items():  # define-by-run: active ones only
                if space.is_active(name, params):
                    params[name] = _suggest_optuna(trial, name, dist)
            study.tell(trial, f(params))

    return Optimizer(
        run, _version("optuna"), ("optuna", "torch") if sampler == "GPSampler" else ("optuna",)
    )


def _suggest_optuna(trial: Any, name: str, dist: ts.Distribution) -> Any:
    if isinstance(dist, ts.Float):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, ts.Int):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
    if isinstance(dist, ts.Categorical):
        return trial.suggest_categorical(name, list(dist.choices))
    raise TypeError(f"No Optuna translation for {dist!r}.")


# -- Hyperopt ------------------------------------------------------------------------------------
def _run_hyperopt(problem: Problem, seed: int, budget: int, f: Objective) -> None:
    import hyperopt  # type: ignore[import-untyped, import-not-found, unused-ignore]
    import numpy as np

    logging.getLogger("hyperopt").setLevel(logging.ERROR)
    space = _space(problem)
    children: dict[str, list[str]] = {}
    for child, parents in space.conditions.items():
        if len(parents) != 1 or not isinstance(
            space.distributions[next(iter(parents))], ts.Categorical
        ):
            raise NotImplementedError(f"{child!r}: Hyperopt needs one categorical parent.")
        children.setdefault(next(iter(parents)), []).append(child)

    def node(name: str, label: str) -> Any:
        dist = space.distributions[name]
        if name in children:  # one branch per value, holding the children active for it
            assert isinstance(dist, ts.Categorical)
            branches = []
            for value in dist.choices:
                branch = {name: value}
                for child in children[name]:
                    if space.is_active(child, {name: value}):
                        branch[child] = node(child, f"{child}|{name}={value!r}")
                branches.append(branch)
            return hyperopt.hp.choice(label, branches)
        if isinstance(dist, ts.Categorical):
            return hyperopt.hp.choice(label, list(dist.choices))
        assert isinstance(dist, (ts.Float, ts.Int))
        q = dist.step if isinstance(dist, ts.Float) else float(dist.step)
        if dist.log:
            lo, hi = math.log(dist.low), math.log(dist.high)
            return (
                hyperopt.hp.qloguniform(label, lo, hi, q)
                if q
                else hyperopt.hp.loguniform(label, lo, hi)
            )
        return (
            hyperopt.hp.quniform(label, dist.low, dist.high, q)
            if q
            else hyperopt.hp.uniform(label, dist.low, dist.high)
        )

    roots = {n: node(n, n) for n in space.names if n not in space.conditions}

    def flatten(sample: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        for name, value in sample.items():
            if name in children and isinstance(value, dict):
                flatten(value, out)
            else:
                out[name] = _coerce(space.distributions[name], value)
        return out

    hyperopt.fmin(
        lambda sample: f(_active(space, flatten(sample, {}))),
        roots,
        algo=hyperopt.tpe.suggest,
        max_evals=budget,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )


# -- scikit-optimize -----------------------------------------------------------------------------
def _run_skopt(problem: Problem, seed: int, budget: int, f: Objective) -> None:
    import skopt  # type: ignore[import-untyped, import-not-found, unused-ignore]

    space = _space(problem)
    dims: list[Any] = []
    for name, dist in space.distributions.items():  # flattened: conditions are dropped
        prior = "log-uniform" if getattr(dist, "log", False) else "uniform"
        if isinstance(dist, ts.Float) and dist.step is None:
            dims.append(skopt.space.Real(dist.low, dist.high, prior=prior, name=name))
        elif isinstance(dist, ts.Int) and dist.step == 1:
            dims.append(skopt.space.Integer(dist.low, dist.high, prior=prior, name=name))
        elif isinstance(dist, ts.Categorical):
            dims.append(skopt.space.Categorical([repr(c) for c in dist.choices], name=name))
        else:
            raise NotImplementedError(f"No scikit-optimize translation for {dist!r}.")

    def objective(x: list[Any]) -> float:
        params = {}
        for (name, dist), value in zip(space.distributions.items(), x, strict=True):
            params[name] = (
                dist.choices[[repr(c) for c in dist.choices].index(value)]
                if isinstance(dist, ts.Categorical)
                else _coerce(dist, value)
            )
        return f(_active(space, params))

    skopt.gp_minimize(
        objective, dims, n_calls=budget, n_initial_points=min(10, budget), random_state=seed
    )


# -- SMAC3 ---------------------------------------------------------------------------------------
def _run_smac(problem: Problem, seed: int, budget: int, f: Objective) -> None:
    import ConfigSpace as cs  # type: ignore[import-untyped, import-not-found, unused-ignore]
    from smac import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
        HyperparameterOptimizationFacade,
        Scenario,
    )
    from smac.runhistory.dataclasses import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
        TrialValue,
    )

    space = _space(problem)
    config_space = cs.ConfigurationSpace(seed=seed)
    hps: dict[str, Any] = {}
    for name, dist in space.distributions.items():
        if isinstance(dist, ts.Float) and dist.step is None:
            hps[name] = cs.Float(name, (dist.low, dist.high), log=dist.log)
        elif isinstance(dist, ts.Int) and dist.step == 1:
            hps[name] = cs.Integer(name, (dist.low, dist.high), log=dist.log)
        elif isinstance(dist, ts.Categorical):  # labelled by repr: any choice, string-typed
            hps[name] = cs.Categorical(name, [repr(c) for c in dist.choices])
        else:
            raise NotImplementedError(f"No ConfigSpace translation for {dist!r}.")
    config_space.add(list(hps.values()))
    for child, parents in space.conditions.items():
        conds = []
        for parent, values in parents.items():
            labels = [
                repr(v) if isinstance(space.distributions[parent], ts.Categorical) else v
                for v in values
            ]
            conds.append(
                cs.EqualsCondition(hps[child], hps[parent], labels[0])
                if len(labels) == 1
                else cs.InCondition(hps[child], hps[parent], labels)
            )
        config_space.add(conds[0] if len(conds) == 1 else cs.AndConjunction(*conds))

    def decode(name: str, value: Any) -> Any:
        dist = space.distributions[name]
        if isinstance(dist, ts.Categorical):
            return dist.choices[[repr(c) for c in dist.choices].index(str(value))]
        return _coerce(dist, value)

    with tempfile.TemporaryDirectory() as tmp:
        scenario = Scenario(
            config_space, deterministic=True, n_trials=budget, seed=seed, output_directory=Path(tmp)
        )
        smac = HyperparameterOptimizationFacade(
            scenario, lambda config, seed=0: 0.0, overwrite=True, logging_level=logging.ERROR
        )
        for _ in range(budget):
            info = smac.ask()
            params = {name: decode(name, v) for name, v in dict(info.config).items()}
            smac.tell(info, TrialValue(cost=f(_active(space, params))))


OPTIMIZERS: dict[str, Optimizer] = {
    "random": _tunesmith("RandomSampler"),
    "tpe": _tunesmith("TPESampler"),
    "gp": _tunesmith("GPSampler"),
    "forest": _tunesmith("ForestSampler"),
    "auto": _tunesmith("AutoSampler"),
    "optuna-tpe": _optuna("TPESampler"),
    "optuna-gp": _optuna("GPSampler"),
    "hyperopt": Optimizer(_run_hyperopt, _version("hyperopt"), ("hyperopt",)),
    "skopt": Optimizer(_run_skopt, _version("scikit-optimize"), ("skopt",)),
    "smac": Optimizer(_run_smac, _version("smac"), ("smac", "ConfigSpace")),
}
