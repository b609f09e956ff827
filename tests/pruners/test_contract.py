"""Contract tests that every pruner passes, then every option each pruner refuses.

The curve family: trial ``x`` in [0, 1] reports ``x + 1 / (1 + k)`` at step ``k`` while
``x < 0.5``; a trial with ``x >= 0.5`` stops improving after step 2 (its curve goes flat). Bad
trials therefore trail in value and plateau, so that every pruner but ``NopPruner`` has
something to prune. In a study that maximizes, the curves are negated.
"""

from __future__ import annotations

import copy
import math
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import tunesmith as ts
from tunesmith.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    PruningContext,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from tunesmith.records import StudySnapshot
from tunesmith.storages import StudyView

from ..storages.conftest import postgres_url
from ._curves import finished, running

N_STEPS = 10

PRUNERS: dict[str, Callable[[], BasePruner]] = {
    "nop": NopPruner,
    "median": MedianPruner,
    "percentile": lambda: PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=1),
    "successive_halving": lambda: SuccessiveHalvingPruner(min_resource=1),
    "successive_halving_auto": lambda: SuccessiveHalvingPruner(bootstrap_count=2),
    "hyperband": HyperbandPruner,
    "threshold": lambda: ThresholdPruner(lower=-1.2, upper=1.2, n_warmup_steps=1),
    "patient": lambda: PatientPruner(None, patience=2),
    "patient_median": lambda: PatientPruner(MedianPruner(n_startup_trials=3), patience=2),
}
PRUNING = [name for name in PRUNERS if name != "nop"]


def curve(x: float, step: int) -> float:
    return x + 1.0 / (1 + (step if x < 0.5 else min(step, 2)))


def history(
    direction: str = "minimize", pruner: BasePruner | None = None, storage: str | None = None
) -> ts.Study:
    """Ten finished trials of the family (x = 0.05, 0.15, ..., 0.95), flipped to maximize."""
    sign = 1.0 if direction == "minimize" else -1.0
    study = ts.create_study(
        direction=direction,  # type: ignore[arg-type]
        study_name="contract",
        storage=storage,
        pruner=pruner or NopPruner(),
    )
    xs = [0.05 + 0.1 * i for i in range(10)]
    study.add_trials([finished([sign * curve(x, k) for k in range(N_STEPS)]) for x in xs])
    return study


def candidates(direction: str = "minimize") -> list[ts.FrozenTrial]:
    """RUNNING snapshots of the family at every step, with trial numbers past the history."""
    sign = 1.0 if direction == "minimize" else -1.0
    out = []
    for i, x in enumerate((0.0, 0.3, 0.45, 0.6, 0.8, 1.0)):
        for last in range(N_STEPS):
            steps = [sign * curve(x, k) for k in range(last + 1)]
            out.append(running(steps, number=10 + i))
    return out


#: How a pruner may be given the study: the ``Study`` itself, a ``StudyView`` built from the
#: storage alone (what a worker on another host has), or the snapshot ``should_prune`` passes.
CONTEXTS: dict[str, Callable[[ts.Study], PruningContext]] = {
    "study": lambda study: study,
    "storage view": lambda study: StudyView(study.storage, study.study_name),
    "snapshot": lambda study: StudySnapshot(
        study.study_name, study.directions, tuple(study.trials)
    ),
}


def state_of(pruner: BasePruner) -> dict[str, object]:
    """The pruner's attributes, those of wrapped pruners included."""
    return {
        k: state_of(v) if isinstance(v, BasePruner) else copy.deepcopy(v)
        for k, v in vars(pruner).items()
    }


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("name", PRUNERS)
def test_a_trial_without_reports_is_never_pruned(name: str, context: str) -> None:
    pruner = PRUNERS[name]()
    study = history(pruner=pruner)
    assert pruner.prune(CONTEXTS[context](study), running([])) is False
    trial = study.ask()
    assert trial.should_prune() is False


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("name", PRUNERS)
def test_decisions_are_deterministic_and_stateless(name: str, direction: str, context: str) -> None:
    study = CONTEXTS[context](history(direction))
    pruner = PRUNERS[name]()
    state = state_of(pruner)
    first = [pruner.prune(study, t) for t in candidates(direction)]
    again = [pruner.prune(study, t) for t in reversed(candidates(direction))][::-1]
    fresh = [PRUNERS[name]().prune(study, t) for t in candidates(direction)]
    assert first == again == fresh
    assert state_of(pruner) == state  # nothing remembered between calls
    if name == "nop":
        assert not any(first)
    else:  # the family has trials to prune and trials to keep
        assert any(first)
        assert not all(first)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("name", PRUNERS)
def test_every_context_gives_the_decisions_of_the_study(name: str, direction: str) -> None:
    study = history(direction)
    pruner = PRUNERS[name]()
    expected = [pruner.prune(study, t) for t in candidates(direction)]
    for make in CONTEXTS.values():
        context = make(study)
        assert [pruner.prune(context, t) for t in candidates(direction)] == expected


@pytest.mark.parametrize("name", PRUNING)
def test_a_view_of_a_bare_sql_storage_decides_as_the_study(name: str, tmp_path: Path) -> None:
    """A worker that holds only the database URL: a new storage object, no ``Study``."""
    url = f"sqlite:///{tmp_path}/s.db"
    study = history(storage=url)
    pruner = PRUNERS[name]()
    storage = ts.storages.SQLStorage(url)
    try:
        view = StudyView(storage, "contract")
        assert [t.number for t in view.trials] == list(range(10))
        decisions = [pruner.prune(view, t) for t in candidates()]
        assert decisions == [pruner.prune(study, t) for t in candidates()]
        assert any(decisions)
        study.tell(study.ask(), 0.0)  # written through the study, seen through the view
        assert len(view.trials) == 11
    finally:
        storage.close()


@pytest.mark.parametrize("name", PRUNERS)
def test_repr_shows_the_options(name: str) -> None:
    pruner = PRUNERS[name]()
    namespace = vars(ts.pruners)
    assert repr(eval(repr(pruner), namespace)) == repr(pruner)


@pytest.mark.slow
@pytest.mark.parametrize("name", PRUNERS)
def test_parallel_workers_on_sqlite(name: str, tmp_path: Path) -> None:
    check_parallel_workers(name, f"sqlite:///{tmp_path}/s.db")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nop", "median", "successive_halving", "hyperband"])
def test_parallel_workers_on_postgresql(name: str) -> None:
    url = postgres_url()
    study_name = f"pruners-{uuid.uuid4().hex[:12]}"
    try:
        check_parallel_workers(name, url, study_name)
    finally:
        ts.delete_study(study_name, url)


def check_parallel_workers(name: str, url: str, study_name: str | None = None) -> None:
    """Two worker processes share one database: curves are stored whole, decisions made."""
    study = ts.create_study(
        study_name,
        storage=url,
        sampler=ts.samplers.RandomSampler(seed=0),
        pruner=PRUNERS[name](),
    )

    def objective(trial: ts.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(N_STEPS):
            trial.report(curve(x, step), step)
            if trial.should_prune():
                raise ts.TrialPruned()
        return curve(x, N_STEPS - 1)

    study.optimize(objective, n_trials=24, n_jobs=2)
    trials = study.get_trials()
    assert len(trials) == 24
    assert {t.state for t in trials} <= {ts.TrialState.COMPLETE, ts.TrialState.PRUNED}
    for t in trials:
        x = t.params["x"]
        last = max(t.intermediate_values)
        assert t.intermediate_values == {k: curve(x, k) for k in range(last + 1)}
        if t.state is ts.TrialState.COMPLETE:
            assert last == N_STEPS - 1
            assert t.value == curve(x, N_STEPS - 1)
        else:
            assert t.value == t.intermediate_values[last]
    pruned = [t for t in trials if t.state is ts.TrialState.PRUNED]
    if name == "nop":
        assert not pruned
    else:
        assert pruned


# -- options -------------------------------------------------------------------------------------
BAD_OPTIONS: list[tuple[type[BasePruner], dict[str, Any], type[Exception], str]] = [
    (
        PercentilePruner,
        {"percentile": -1},
        ValueError,
        "`percentile` must be a number in [0, 100], but got percentile=-1.",
    ),
    (
        PercentilePruner,
        {"percentile": 100.5},
        ValueError,
        "`percentile` must be a number in [0, 100], but got percentile=100.5.",
    ),
    (
        PercentilePruner,
        {"percentile": math.nan},
        ValueError,
        "`percentile` must be a number in [0, 100], but got percentile=nan.",
    ),
    (
        PercentilePruner,
        {"percentile": "50"},
        TypeError,
        "`percentile` must be a number in [0, 100], but got percentile='50'.",
    ),
    (PercentilePruner, {"percentile": True}, TypeError, "but got percentile=True."),
    (
        PercentilePruner,
        {"percentile": 50, "n_startup_trials": -1},
        ValueError,
        "`n_startup_trials` must be an int >= 0, but got n_startup_trials=-1.",
    ),
    (
        PercentilePruner,
        {"percentile": 50, "n_warmup_steps": -1},
        ValueError,
        "`n_warmup_steps` must be an int >= 0, but got n_warmup_steps=-1.",
    ),
    (
        PercentilePruner,
        {"percentile": 50, "interval_steps": 0},
        ValueError,
        "`interval_steps` must be an int >= 1, but got interval_steps=0.",
    ),
    (
        PercentilePruner,
        {"percentile": 50, "n_min_trials": 0},
        ValueError,
        "`n_min_trials` must be an int >= 1, but got n_min_trials=0.",
    ),
    (
        PercentilePruner,
        {"percentile": 50, "n_min_trials": 1.5},
        TypeError,
        "`n_min_trials` must be an int >= 1, but got n_min_trials=1.5.",
    ),
    (
        MedianPruner,
        {"n_startup_trials": -2},
        ValueError,
        "`n_startup_trials` must be an int >= 0, but got n_startup_trials=-2.",
    ),
    (
        MedianPruner,
        {"n_warmup_steps": -1},
        ValueError,
        "`n_warmup_steps` must be an int >= 0, but got n_warmup_steps=-1.",
    ),
    (
        MedianPruner,
        {"interval_steps": False},
        TypeError,
        "`interval_steps` must be an int >= 1, but got interval_steps=False.",
    ),
    (
        MedianPruner,
        {"n_min_trials": 0},
        ValueError,
        "`n_min_trials` must be an int >= 1, but got n_min_trials=0.",
    ),
    (
        SuccessiveHalvingPruner,
        {"min_resource": 0},
        ValueError,
        "`min_resource` must be 'auto' or an int >= 1, but got min_resource=0.",
    ),
    (
        SuccessiveHalvingPruner,
        {"min_resource": "AUTO"},
        ValueError,
        "`min_resource` must be 'auto' or an int >= 1, but got min_resource='AUTO'.",
    ),
    (
        SuccessiveHalvingPruner,
        {"min_resource": 2.0},
        TypeError,
        "`min_resource` must be 'auto' or an int >= 1, but got min_resource=2.0.",
    ),
    (
        SuccessiveHalvingPruner,
        {"reduction_factor": 1},
        ValueError,
        "`reduction_factor` must be an int >= 2, but got reduction_factor=1.",
    ),
    (
        SuccessiveHalvingPruner,
        {"min_early_stopping_rate": -1},
        ValueError,
        "`min_early_stopping_rate` must be an int >= 0, but got min_early_stopping_rate=-1.",
    ),
    (
        SuccessiveHalvingPruner,
        {"bootstrap_count": -1},
        ValueError,
        "`bootstrap_count` must be an int >= 0, but got bootstrap_count=-1.",
    ),
    (
        HyperbandPruner,
        {"min_resource": 0},
        ValueError,
        "`min_resource` must be an int >= 1, but got min_resource=0.",
    ),
    (
        HyperbandPruner,
        {"min_resource": 3, "max_resource": 2},
        ValueError,
        "`max_resource` must be 'auto' or an int >= min_resource (3), but got max_resource=2.",
    ),
    (
        HyperbandPruner,
        {"max_resource": "max"},
        ValueError,
        "`max_resource` must be 'auto' or an int >= min_resource (1), but got max_resource='max'.",
    ),
    (
        HyperbandPruner,
        {"reduction_factor": 1},
        ValueError,
        "`reduction_factor` must be an int >= 2, but got reduction_factor=1.",
    ),
    (
        ThresholdPruner,
        {},
        ValueError,
        "give `lower`, `upper` or both, but got lower=None and upper=None.",
    ),
    (
        ThresholdPruner,
        {"lower": 2.0, "upper": 1.0},
        ValueError,
        "`lower <= upper` must hold, but got (lower=2.0, upper=1.0).",
    ),
    (
        ThresholdPruner,
        {"lower": math.nan},
        ValueError,
        "`lower` must be a number (not NaN) or None, but got lower=nan.",
    ),
    (
        ThresholdPruner,
        {"upper": "1"},
        TypeError,
        "`upper` must be a number (not NaN) or None, but got upper='1'.",
    ),
    (
        ThresholdPruner,
        {"upper": 1.0, "n_warmup_steps": -1},
        ValueError,
        "`n_warmup_steps` must be an int >= 0, but got n_warmup_steps=-1.",
    ),
    (
        ThresholdPruner,
        {"upper": 1.0, "interval_steps": 0},
        ValueError,
        "`interval_steps` must be an int >= 1, but got interval_steps=0.",
    ),
    (
        PatientPruner,
        {"wrapped": MedianPruner, "patience": 1},
        TypeError,
        "`wrapped` must be a tunesmith pruner or None, but got wrapped=<class",
    ),
    (
        PatientPruner,
        {"wrapped": None, "patience": -1},
        ValueError,
        "`patience` must be an int >= 0, but got patience=-1.",
    ),
    (
        PatientPruner,
        {"wrapped": None, "patience": 1.0},
        TypeError,
        "`patience` must be an int >= 0, but got patience=1.0.",
    ),
    (
        PatientPruner,
        {"wrapped": None, "patience": 1, "min_delta": -0.1},
        ValueError,
        "`min_delta` must be a finite number >= 0, but got min_delta=-0.1.",
    ),
    (
        PatientPruner,
        {"wrapped": None, "patience": 1, "min_delta": math.inf},
        ValueError,
        "`min_delta` must be a finite number >= 0, but got min_delta=inf.",
    ),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "message"), BAD_OPTIONS)
def test_bad_options(
    cls: type[BasePruner], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        cls(**kwargs)
    assert str(info.value).startswith(f"{cls.__name__}: ")  # names the pruner,
    assert message in str(info.value)  # the option, the rule and the value given


def test_good_edge_options() -> None:
    PercentilePruner(0)
    PercentilePruner(100)
    SuccessiveHalvingPruner(min_resource=1, reduction_factor=2, min_early_stopping_rate=0)
    HyperbandPruner(min_resource=5, max_resource=5)
    ThresholdPruner(lower=1.0, upper=1.0)
    ThresholdPruner(lower=-math.inf)
    PatientPruner(None, patience=0, min_delta=0)


class _StudyStylePruner(BasePruner):
    """A pruner written for the contract before ``PruningContext``: it reads a ``Study``."""

    def prune(self, study: Any, trial: ts.FrozenTrial) -> bool:
        done = study.get_trials([ts.TrialState.COMPLETE])
        sign = 1.0 if study.direction == "minimize" else -1.0
        best = min(sign * t.value for t in done)
        return bool(sign * trial.intermediate_values[max(trial.intermediate_values)] > best)


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_pruner_that_reads_a_study_works_with_every_context(context: str) -> None:
    study = history()
    pruner = _StudyStylePruner()
    given = CONTEXTS[context](study)
    assert [pruner.prune(given, t) for t in candidates()] == [
        pruner.prune(study, t) for t in candidates()
    ]
    other = ts.create_study(pruner=pruner, study_name="s")
    other.add_trial(finished([1.0, 0.5]))
    live = other.ask()
    live.report(0.7, 0)
    assert live.should_prune() is True  # the snapshot should_prune hands it reads like a study
