"""One rule for every public integer and float option (``tunesmith._checks``).

The table below lists each public callable with each numeric option it takes. For every entry:
numpy scalars are accepted and mean exactly what the Python number means (the result's ``repr``
is the same, so no numpy scalar leaks into a record or a ``repr``); a bool or a string is a
``TypeError``; NaN given to a float option is a ``ValueError``; and every message names the
option and shows the value given.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest

import tunesmith as ts
from tunesmith import _checks
from tunesmith.pruners import (
    HyperbandPruner,
    MedianPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from tunesmith.samplers import (
    AutoSampler,
    ForestSampler,
    GPSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)


def _ask(n: Any) -> Any:
    return len(ts.create_study(seed=0).ask({"x": ts.Float(0, 1)}, n=n))


def _optimize(**options: Any) -> Any:
    study = ts.create_study(seed=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), **{"n_trials": 2, **options})
    return [t.params for t in study.trials]


def _report(step: Any) -> Any:
    trial = ts.create_study().ask()
    trial.report(1.0, step)
    return trial.intermediate_values


def _minimize(**options: Any) -> Any:
    options = {"n_trials": 3, "seed": 0, **options}
    result = ts.minimize(lambda x: x**2, {"x": ts.Float(-1, 1)}, **options)
    return [t.params for t in result.trials]


def _sql(**options: Any) -> Any:
    url = f"sqlite:///{tempfile.mkdtemp()}/checks.db"
    storage = ts.storages.SQLStorage(url, **options)
    try:
        return (storage.heartbeat_interval, storage.grace_period)
    finally:
        storage.close()


def _bracket(number: Any) -> Any:
    study = ts.create_study(study_name="checks")
    return HyperbandPruner(max_resource=27).bracket_of(study, number)


def _search(**options: Any) -> Any:
    from sklearn.datasets import load_iris
    from sklearn.linear_model import RidgeClassifier

    from tunesmith.sklearn import TuneSearchCV

    X, y = load_iris(return_X_y=True)
    options = {"n_trials": 2, "cv": 2, "random_state": 0, **options}
    search = TuneSearchCV(RidgeClassifier(), {"alpha": ts.Float(0.1, 10, log=True)}, **options)
    return search.fit(X, y).cv_results_["params"]


def _seeded(cls: Callable[..., Any]) -> Callable[..., str]:
    return _r(lambda **kw: cls(**{"seed": 0, **kw}))


def _r(build: Callable[..., Any]) -> Callable[..., str]:
    """The ``repr`` of what ``build`` returns: numpy scalars show up in it (``np.int64(3)``)."""
    return lambda **kw: repr(build(**kw))


class Case(NamedTuple):
    name: str  # the public callable
    call: Callable[..., Any]  # call(option=value) -> something comparable
    option: str
    good: Any  # a valid value
    kind: str  # "int" or "float"


ENTRIES = [Case(*entry) for entry in [
    ("create_study", _r(lambda **kw: ts.create_study(**kw).sampler), "seed", 3, "int"),
    ("Study.ask", _r(_ask), "n", 2, "int"),
    ("Study.optimize", _r(_optimize), "n_trials", 2, "int"),
    ("Study.optimize", _r(_optimize), "n_jobs", 1, "int"),
    ("Study.optimize", _r(_optimize), "timeout", 30.0, "float"),
    ("Trial.report", _r(_report), "step", 2, "int"),
    ("minimize", _r(_minimize), "n_trials", 3, "int"),
    ("minimize", _r(_minimize), "seed", 1, "int"),
    ("Float", _r(lambda **kw: ts.Float(**{"low": 0.0, "high": 1.0, **kw})), "low", 0.5, "float"),
    ("Float", _r(lambda **kw: ts.Float(**{"low": 0.0, "high": 1.0, **kw})), "high", 2.0, "float"),
    ("Float", _r(lambda **kw: ts.Float(**{"low": 0.0, "high": 1.0, **kw})), "step", 0.5, "float"),
    ("Int", _r(lambda **kw: ts.Int(**{"low": 0, "high": 8, **kw})), "low", 2, "int"),
    ("Int", _r(lambda **kw: ts.Int(**{"low": 0, "high": 8, **kw})), "high", 4, "int"),
    ("Int", _r(lambda **kw: ts.Int(**{"low": 0, "high": 8, **kw})), "step", 2, "int"),
    ("RandomSampler", _seeded(RandomSampler), "seed", 3, "int"),
    ("QMCSampler", _seeded(QMCSampler), "seed", 3, "int"),
    ("AutoSampler", _seeded(AutoSampler), "seed", 3, "int"),
    ("GPSampler", _seeded(GPSampler), "seed", 3, "int"),
    ("GPSampler", _seeded(GPSampler), "n_startup_trials", 4, "int"),
    ("GPSampler", _seeded(GPSampler), "kappa", 1.5, "float"),
    ("TPESampler", _seeded(TPESampler), "seed", 3, "int"),
    ("TPESampler", _seeded(TPESampler), "n_startup_trials", 4, "int"),
    ("TPESampler", _seeded(TPESampler), "n_candidates", 8, "int"),
    ("TPESampler", _seeded(TPESampler), "gamma", 0.25, "float"),
    ("TPESampler", _seeded(TPESampler), "min_bandwidth", 0.125, "float"),
    ("TPESampler", _seeded(TPESampler), "prior_weight", 2.0, "float"),
    ("ForestSampler", _seeded(ForestSampler), "seed", 3, "int"),
    ("ForestSampler", _seeded(ForestSampler), "n_startup_trials", 4, "int"),
    ("ForestSampler", _seeded(ForestSampler), "n_trees", 8, "int"),
    ("PercentilePruner", _r(lambda **kw: PercentilePruner(**{"percentile": 25, **kw})),
     "percentile", 37.5, "float"),
    ("PercentilePruner", _r(lambda **kw: PercentilePruner(**{"percentile": 25, **kw})),
     "n_min_trials", 2, "int"),
    ("MedianPruner", _r(MedianPruner), "n_startup_trials", 3, "int"),
    ("MedianPruner", _r(MedianPruner), "n_warmup_steps", 3, "int"),
    ("MedianPruner", _r(MedianPruner), "interval_steps", 3, "int"),
    ("MedianPruner", _r(MedianPruner), "n_min_trials", 3, "int"),
    ("SuccessiveHalvingPruner", _r(SuccessiveHalvingPruner), "min_resource", 2, "int"),
    ("SuccessiveHalvingPruner", _r(SuccessiveHalvingPruner), "reduction_factor", 4, "int"),
    ("SuccessiveHalvingPruner", _r(SuccessiveHalvingPruner), "min_early_stopping_rate", 1, "int"),
    ("SuccessiveHalvingPruner", _r(SuccessiveHalvingPruner), "bootstrap_count", 2, "int"),
    ("HyperbandPruner", _r(HyperbandPruner), "min_resource", 2, "int"),
    ("HyperbandPruner", _r(HyperbandPruner), "max_resource", 27, "int"),
    ("HyperbandPruner", _r(HyperbandPruner), "reduction_factor", 4, "int"),
    ("HyperbandPruner.bracket_of", _r(_bracket), "number", 5, "int"),
    ("ThresholdPruner", _r(lambda **kw: ThresholdPruner(**{"upper": 9.0, **kw})), "lower", 0.5,
     "float"),
    ("ThresholdPruner", _r(ThresholdPruner), "upper", 1.5, "float"),
    ("ThresholdPruner", _r(lambda **kw: ThresholdPruner(**{"upper": 9.0, **kw})),
     "n_warmup_steps", 2, "int"),
    ("ThresholdPruner", _r(lambda **kw: ThresholdPruner(**{"upper": 9.0, **kw})),
     "interval_steps", 2, "int"),
    ("PatientPruner", _r(lambda **kw: PatientPruner(None, **{"patience": 1, **kw})), "patience",
     3, "int"),
    ("PatientPruner", _r(lambda **kw: PatientPruner(None, **{"patience": 1, **kw})),
     "min_delta", 0.25, "float"),
    ("SQLStorage", _r(_sql), "heartbeat_interval", 2.0, "float"),
    ("SQLStorage", _r(_sql), "grace_period", 60.0, "float"),
    ("TuneSearchCV", _r(_search), "n_trials", 2, "int"),
    ("TuneSearchCV", _r(_search), "random_state", 3, "int"),
    ("TuneSearchCV", _r(_search), "timeout", 60.0, "float"),
]]  # fmt: skip


def _cases(cases: list[Case]) -> Any:
    return pytest.mark.parametrize("case", cases, ids=[f"{c.name}-{c.option}" for c in cases])


NUMPY = {
    "int": (np.int64, np.int32, np.uint8),
    "float": (np.float64, np.float32),
}


@_cases(ENTRIES)
def test_numpy_scalars_mean_the_python_number(case: Case) -> None:
    expected = case.call(**{case.option: case.good})
    for scalar in NUMPY[case.kind]:
        assert case.call(**{case.option: scalar(case.good)}) == expected, scalar


#: Options that take a string too (``"auto"``, ``"linear"``): another string is a wrong value.
TAKES_STRINGS = {
    ("TPESampler", "gamma"),
    ("SuccessiveHalvingPruner", "min_resource"),
    ("HyperbandPruner", "max_resource"),
}


@_cases(ENTRIES)
@pytest.mark.parametrize("bad", [True, False, "string"])
def test_bools_and_strings_are_type_errors(case: Case, bad: Any) -> None:
    value = str(case.good) if bad == "string" else bad
    string_ok = bad == "string" and (case.name, case.option) in TAKES_STRINGS
    with pytest.raises(ValueError if string_ok else TypeError) as info:
        case.call(**{case.option: value})
    assert f"`{case.option}` must be" in str(info.value)
    assert f"but got {case.option}={value!r}" in str(info.value)


@_cases([c for c in ENTRIES if c.kind == "float"])
def test_nan_is_a_value_error(case: Case) -> None:
    with pytest.raises(ValueError) as info:
        case.call(**{case.option: math.nan})
    message = str(info.value)
    assert f"`{case.option}` must be" in message and f"{case.option}=nan" in message


@_cases([c for c in ENTRIES if c.kind == "int" and c.name != "Int"])  # Int takes 2.0 as 2
def test_a_float_where_an_int_belongs_is_a_type_error(case: Case) -> None:
    with pytest.raises(TypeError, match=f"`{case.option}` must be"):
        case.call(**{case.option: case.good + 0.5})


def test_int_bounds_take_integral_floats_and_refuse_fractions() -> None:
    assert ts.Int(1.0, 4.0) == ts.Int(1, 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Int: `low` must be an integer, but got low=1\.5"):
        ts.Int(1.5, 4)  # type: ignore[arg-type]


# -- the helpers themselves ------------------------------------------------------------------------
def test_the_message_form() -> None:
    assert _checks.message("n", "an int >= 1", 0, "ask") == (
        "ask: `n` must be an int >= 1, but got n=0."
    )
    assert _checks.message("n", "an int >= 1", "x") == "`n` must be an int >= 1, but got n='x'."


@pytest.mark.parametrize(
    ("low", "high", "words"),
    [(1, None, "an int >= 1"), (None, 3, "an int <= 3"), (1, 3, "an int in [1, 3]"),
     (None, None, "an int")],
)  # fmt: skip
def test_int_rule_words(low: int | None, high: int | None, words: str) -> None:
    assert _checks.int_rule(low, high) == words


def test_check_int_bounds_and_types() -> None:
    assert _checks.check_int(np.int16(7), "k", low=0, high=7) == 7
    assert type(_checks.check_int(np.int64(7), "k")) is int
    with pytest.raises(ValueError, match=r"`k` must be an int in \[0, 6\], but got k=7\."):
        _checks.check_int(7, "k", low=0, high=6)
    with pytest.raises(TypeError, match=r"but got k=np\.True_"):
        _checks.check_int(np.bool_(True), "k")
    assert _checks.check_int_or_none(None, "k", low=1) is None


def test_check_float_open_and_closed_bounds() -> None:
    rule = "a number in (0, 1]"
    assert _checks.check_float(1, "f", low=0, high=1, low_open=True, rule=rule) == 1.0
    with pytest.raises(ValueError, match=r"\(0, 1\], but got f=0"):
        _checks.check_float(0, "f", low=0, high=1, low_open=True, rule=rule)
    with pytest.raises(ValueError):
        _checks.check_float(1, "f", low=0, high=1, high_open=True, rule="a number in [0, 1)")
    assert _checks.check_float_or_none(None, "f", rule="None or a number") is None


def test_check_choice_and_bool() -> None:
    assert _checks.check_choice("a", "c", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"`c` must be one of \('a', 'b'\), but got c='z'\."):
        _checks.check_choice("z", "c", ("a", "b"))
    with pytest.raises(TypeError):
        _checks.check_choice(1, "c", ("a", "b"))
    assert _checks.check_bool(np.bool_(False), "flag") is False
    with pytest.raises(TypeError, match="`flag` must be a bool, but got flag=1"):
        _checks.check_bool(1, "flag")


def test_check_seed_draws_one_for_none() -> None:
    a, b = _checks.check_seed(None), _checks.check_seed(None)
    assert isinstance(a, int) and a >= 0 and a != b


def test_check_int_or_auto() -> None:
    assert _checks.check_int_or_auto("auto", "r", low=1) == "auto"
    assert _checks.check_int_or_auto(np.int64(3), "r", low=1) == 3
    with pytest.raises(ValueError, match=r"`r` must be 'auto' or an int >= 1, but got r='Auto'\."):
        _checks.check_int_or_auto("Auto", "r", low=1)
    with pytest.raises(TypeError, match=r"but got r=2\.0"):
        _checks.check_int_or_auto(2.0, "r", low=1)
