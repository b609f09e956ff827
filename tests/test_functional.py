"""``tunesmith.minimize`` / ``tunesmith.maximize``: one call over a declared space."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tunesmith as ts

SPACE = {"x": ts.Float(-2, 2), "y": ts.Float(-2, 2)}


def bowl(x: float, y: float) -> float:
    return (x - 0.5) ** 2 + (y + 0.5) ** 2


def test_minimize_with_keyword_arguments() -> None:
    result = ts.minimize(bowl, SPACE, n_trials=80, seed=0)
    assert isinstance(result, ts.OptimizeResult)
    assert len(result.trials) == 80
    values = [t.value for t in result.trials]
    assert result.best_value == min(v for v in values if v is not None)
    assert result.best_value == bowl(**result.best_params)
    assert result.best_trial.params == result.best_params
    assert result.best_trial.value == result.best_value
    assert result.study.direction == "minimize"
    assert result.study.best_trial == result.best_trial
    assert result.best_value < 0.2


def test_maximize_with_one_dict() -> None:
    def score(config: dict[str, Any]) -> float:
        return -bowl(config["x"], config["y"])

    result = ts.maximize(score, SPACE, n_trials=40, seed=0)
    assert result.study.direction == "maximize"
    assert result.best_value == max(t.value for t in result.trials if t.value is not None)
    assert result.best_value == score(result.best_params)


def test_keyword_only_and_var_keyword_functions() -> None:
    def kw_only(*, x: float, y: float) -> float:
        return bowl(x, y)

    def var_kw(**config: float) -> float:
        return bowl(config["x"], config["y"])

    a = ts.minimize(kw_only, SPACE, n_trials=5, seed=0)
    b = ts.minimize(var_kw, SPACE, n_trials=5, seed=0)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert a.best_value == b.best_value


def test_dict_function_with_optional_extras() -> None:
    def f(config: dict[str, Any], verbose: bool = False) -> float:
        assert verbose is False
        return float(config["x"])

    result = ts.minimize(f, SPACE, n_trials=5, seed=0)
    assert result.best_value == min(t.params["x"] for t in result.trials)


def test_builtin_function_gets_the_dict() -> None:
    result = ts.maximize(len, SPACE, n_trials=2, seed=0)
    assert result.best_value == 2.0


@pytest.mark.parametrize(
    ("func", "shown"),
    [
        (lambda a, b: a + b, "(a, b)"),
        (lambda: 0.0, "()"),
        (lambda x, z: x, "(x, z)"),
        (lambda x, *, z: x, "(x, *, z)"),
    ],
)
def test_a_function_that_fits_neither_way_is_refused(func: Any, shown: str) -> None:
    with pytest.raises(TypeError, match=r"`func` must take the parameters \['x', 'y'\]") as info:
        ts.minimize(func, SPACE, n_trials=3)
    assert f"its signature is {shown}" in str(info.value)


def test_a_required_argument_for_a_conditional_parameter_is_refused() -> None:
    space = {"kernel": ["rbf", "poly"], "degree": ts.Int(2, 5).when(kernel="poly")}

    def needs_degree(kernel: str, degree: int) -> float:
        return float(degree)

    with pytest.raises(TypeError, match=r"\['degree'\].*not always active.*default"):
        ts.minimize(needs_degree, space, n_trials=3)


def test_conditional_space() -> None:
    space = {
        "kernel": ts.Categorical(["rbf", "poly"]),
        "C": ts.Float(1e-2, 1e2, log=True),
        "degree": ts.Int(2, 5).when(kernel="poly"),
    }
    seen: list[tuple[str, int | None]] = []

    def f(kernel: str, C: float, degree: int | None = None) -> float:
        seen.append((kernel, degree))
        return C + (degree or 0)

    result = ts.minimize(f, space, n_trials=30, seed=0)
    assert {k for k, _ in seen} == {"rbf", "poly"}
    assert all((d is None) == (k == "rbf") for k, d in seen)
    assert all(d is None or 2 <= d <= 5 for _, d in seen)
    assert result.best_value == min(t.value for t in result.trials if t.value is not None)


def test_list_of_dicts_space() -> None:
    space = [
        {"model": ["linear"], "alpha": ts.Float(0.0, 1.0)},
        {"model": ["tree"], "depth": ts.Int(1, 8)},
    ]

    def f(config: dict[str, Any]) -> float:
        if config["model"] == "linear":
            assert set(config) == {"model", "alpha"}
            return float(config["alpha"])
        assert set(config) == {"model", "depth"}
        return float(config["depth"])

    result = ts.minimize(f, space, n_trials=30, seed=0)
    assert {t.params["model"] for t in result.trials} == {"linear", "tree"}
    assert result.best_value == f(result.best_params)


def test_lists_and_scipy_distributions_in_the_space() -> None:
    import scipy.stats

    space = {"n": [1, 2, 3], "lr": scipy.stats.loguniform(1e-3, 1e-1)}
    result = ts.minimize(lambda n, lr: n * lr, space, n_trials=10, seed=0)
    assert all(t.params["n"] in (1, 2, 3) for t in result.trials)
    assert all(1e-3 <= t.params["lr"] <= 1e-1 for t in result.trials)


def test_same_seed_same_result() -> None:
    a = ts.minimize(bowl, SPACE, n_trials=10, seed=3)
    b = ts.minimize(bowl, SPACE, n_trials=10, seed=3)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert a.best_params == b.best_params


def test_sampler_argument() -> None:
    sampler = ts.samplers.GridSampler({"a": [1, 2, 3]})
    result = ts.minimize(lambda a: (a - 2) ** 2, {"a": [1, 2, 3]}, n_trials=10, sampler=sampler)
    assert sorted(t.params["a"] for t in result.trials) == [1, 2, 3]
    assert result.best_params == {"a": 2}
    with pytest.raises(ValueError, match=r"`seed` or `sampler`, not both"):
        ts.minimize(bowl, SPACE, n_trials=3, sampler=sampler, seed=0)


def test_failed_evaluations_are_recorded_and_skipped() -> None:
    def f(x: float, y: float) -> float:
        return float("nan") if x < 0 else bowl(x, y)

    result = ts.minimize(f, SPACE, n_trials=20, seed=0)
    failed = [t for t in result.trials if t.state is ts.TrialState.FAIL]
    assert failed and all(t.error == "the objective returned nan" for t in failed)
    assert result.best_params["x"] >= 0


def test_no_successful_evaluation_is_reported_with_the_last_failure() -> None:
    with pytest.raises(ValueError, match=r"No evaluation of `func` succeeded.*3 trials.*None"):
        ts.minimize(lambda x, y: None, SPACE, n_trials=3, seed=0)


def test_an_exception_from_func_propagates() -> None:
    def f(x: float, y: float) -> float:
        raise ZeroDivisionError("no")

    with pytest.raises(ZeroDivisionError, match="no"):
        ts.minimize(f, SPACE, n_trials=3)


def test_storage_and_study_name_resume_the_same_study(tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "x.db")
    first = ts.minimize(bowl, SPACE, n_trials=5, seed=0, storage=url, study_name="bowl")
    second = ts.minimize(bowl, SPACE, n_trials=5, seed=0, storage=url, study_name="bowl")
    assert [s.name for s in ts.list_studies(url)] == ["bowl"]
    assert len(second.trials) == 10
    assert [t.number for t in second.trials] == list(range(10))
    # the seeded sampler does not repeat configurations on resume
    assert len({t.params["x"] for t in second.trials}) == 10
    assert second.trials[:5] == first.trials
    assert second.best_value == min(t.value for t in second.trials if t.value is not None)
    loaded = ts.load_study("bowl", url)
    assert len(loaded.trials) == 10


def test_storage_object_keeps_the_trials() -> None:
    storage = ts.storages.InMemoryStorage()
    result = ts.minimize(bowl, SPACE, n_trials=4, seed=0, storage=storage)
    assert result.study.storage is storage
    [summary] = ts.list_studies(storage)
    assert summary.n_trials == 4


@pytest.mark.parametrize(
    ("n_trials", "error"), [(0, ValueError), (-3, ValueError), (2.5, TypeError)]
)
def test_bad_n_trials_is_refused(n_trials: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"`n_trials` must be an int >= 1.*n_trials="):
        ts.minimize(bowl, SPACE, n_trials=n_trials)


def test_bad_space_is_refused() -> None:
    with pytest.raises(TypeError, match=r"space: expected a dict.*'x'"):
        ts.minimize(bowl, "x", n_trials=3)
    with pytest.raises(ValueError, match=r"low <= high"):
        ts.minimize(bowl, {"x": ts.Float(1, 0), "y": ts.Float(0, 1)}, n_trials=3)


def test_func_must_be_callable() -> None:
    with pytest.raises(TypeError, match=r"`func` must be callable.*'f'"):
        ts.minimize("f", SPACE, n_trials=3)  # type: ignore[arg-type]
