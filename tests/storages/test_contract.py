"""The storage contract (``storages/_base.py``), run over every backend.

Records are compared with ``repr``: it is exact for floats (shortest round-trip form, ``nan``
included), tells ``1``, ``1.0`` and ``True`` apart, and shows tuples as tuples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
import scipy.stats

from tunesmith._errors import (
    ClaimConflictError,
    DuplicatedStudyError,
    StudyNotFoundError,
    TrialFinishedError,
)
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.space import Categorical, Distribution, Float, Int, Scipy
from tunesmith.storages import BaseStorage

UTC = timezone.utc
T0 = datetime(2024, 5, 17, 8, 30, 15, 123456, tzinfo=UTC)


def _template(state: TrialState = TrialState.RUNNING, **fields: Any) -> FrozenTrial:
    fields.setdefault("number", -1)
    return FrozenTrial(state=state, **fields)


def _study(storage: BaseStorage, name: str = "s") -> int:
    return storage.create_study(name, ["minimize"]).study_id


def _all(storage: BaseStorage, study_id: int) -> list[FrozenTrial]:
    trials, _ = storage.trials_since(study_id, 0)
    return sorted(trials, key=lambda t: t.number)


def _version(storage: BaseStorage, study_id: int) -> int:
    return storage.trials_since(study_id, 0)[1]


def _assert_same(actual: FrozenTrial, expected: FrozenTrial) -> None:
    assert repr(actual) == repr(expected)


# -- studies -----------------------------------------------------------------------------------


def test_create_and_get_study(storage: BaseStorage) -> None:
    before = datetime.now(UTC)
    info = storage.create_study("multi", ["minimize", "maximize"])
    assert info.name == "multi"
    assert info.directions == ("minimize", "maximize")
    assert info.created_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= info.created_at <= datetime.now(UTC)
    got = storage.get_study("multi")
    assert (got.study_id, got.name, got.directions) == (info.study_id, "multi", info.directions)
    assert abs(got.created_at - info.created_at) < timedelta(milliseconds=1)


def test_duplicate_study_name_is_refused(storage: BaseStorage) -> None:
    storage.create_study("taken", ["minimize"])
    with pytest.raises(DuplicatedStudyError, match="taken"):
        storage.create_study("taken", ["maximize"])
    assert [s.directions for s in storage.list_studies()] == [("minimize",)]


def test_missing_study_error_lists_existing_names(storage: BaseStorage) -> None:
    storage.create_study("alpha", ["minimize"])
    storage.create_study("beta", ["minimize"])
    with pytest.raises(StudyNotFoundError) as info:
        storage.get_study("gamma")
    message = str(info.value)
    assert "'gamma'" in message and "'alpha'" in message and "'beta'" in message
    assert info.value.existing == ["alpha", "beta"]
    assert isinstance(info.value, KeyError)  # dict-like lookups may catch it
    with pytest.raises(StudyNotFoundError, match="'alpha'"):
        storage.delete_study("gamma")


def test_list_studies_oldest_first_with_trial_counts(storage: BaseStorage) -> None:
    assert storage.list_studies() == []
    a = _study(storage, "zeta")
    _study(storage, "alpha")
    storage.create_trials(a, [_template(), _template()])
    summaries = storage.list_studies()
    assert [(s.name, s.n_trials, s.directions) for s in summaries] == [
        ("zeta", 2, ("minimize",)),
        ("alpha", 0, ("minimize",)),
    ]
    assert summaries[0].created_at <= summaries[1].created_at


def test_delete_study_removes_it_and_its_trials(storage: BaseStorage) -> None:
    old = _study(storage, "gone")
    keep = _study(storage, "kept")
    storage.create_trials(old, [_template(), _template()])
    storage.create_trials(keep, [_template()])
    storage.delete_study("gone")
    with pytest.raises(StudyNotFoundError, match="'kept'"):
        storage.get_study("gone")
    assert [s.name for s in storage.list_studies()] == ["kept"]
    assert [t.number for t in _all(storage, keep)] == [0]
    # The old handle is dead, and a new study of the same name starts empty.
    with pytest.raises(KeyError):
        storage.trials_since(old, 0)
    with pytest.raises(KeyError):
        storage.create_trials(old, [_template()])
    new = _study(storage, "gone")
    assert new != old
    assert storage.trials_since(new, 0)[0] == []
    assert storage.create_trials(new, [_template()]) == [0]


def test_calls_on_a_missing_study_raise_key_error(storage: BaseStorage) -> None:
    missing = _study(storage) + 1000
    with pytest.raises(KeyError):
        storage.create_trials(missing, [_template()])
    with pytest.raises(KeyError):
        storage.claim_waiting_trial(missing)
    with pytest.raises(KeyError):
        storage.update_trial(missing, 0, state=TrialState.COMPLETE, values=[1.0])
    with pytest.raises(KeyError):
        storage.trials_since(missing, 0)


# -- creating trials ---------------------------------------------------------------------------


def test_numbers_are_gap_free_from_zero_across_batches(storage: BaseStorage) -> None:
    sid = _study(storage)
    assert storage.create_trials(sid, [_template()]) == [0]
    assert storage.create_trials(sid, [_template()] * 3) == [1, 2, 3]
    assert storage.create_trials(sid, []) == []
    assert storage.create_trials(sid, [_template(number=42)] * 2) == [4, 5]  # number ignored
    assert [t.number for t in _all(storage, sid)] == list(range(6))
    assert storage.list_studies()[0].n_trials == 6


def test_templates_are_stored_as_given(storage: BaseStorage) -> None:
    sid = _study(storage)
    dists: dict[str, Distribution] = {"x": Float(-1.0, 1.0), "k": Categorical(["a", None])}
    templates = [
        _template(TrialState.WAITING, params={"x": 0.25}, distributions={"x": dists["x"]}),
        _template(TrialState.RUNNING, datetime_start=T0, user_attrs={"host": "n1"}),
        _template(
            TrialState.COMPLETE,
            values=(0.5,),
            params={"x": -0.75, "k": None},
            distributions=dists,
            user_attrs={"nested": {"list": [1, 2.5, "s", None, True]}, "n": -3},
            intermediate_values={0: 1.5, 1: math.inf, 2: -math.inf, 3: math.nan, 10: -0.0},
            constraints=(-1.0, 0.0, 2.5),
            datetime_start=T0,
            datetime_complete=T0 + timedelta(seconds=3, microseconds=7),
        ),
        _template(
            TrialState.PRUNED,
            values=(math.inf,),
            intermediate_values={5: 0.1},
            datetime_start=T0,
            datetime_complete=T0 + timedelta(minutes=1),
        ),
        _template(
            TrialState.FAIL,
            error="ValueError: objective returned nan",
            values=(math.nan,),
            datetime_start=T0,
            datetime_complete=T0 + timedelta(hours=2),
        ),
    ]
    assert storage.create_trials(sid, templates) == [0, 1, 2, 3, 4]
    stored = _all(storage, sid)
    for i, (got, template) in enumerate(zip(stored, templates, strict=True)):
        _assert_same(got, template.with_changes(number=i))


# -- claiming enqueued trials ------------------------------------------------------------------


def test_claim_takes_waiting_trials_lowest_number_first(storage: BaseStorage) -> None:
    sid = _study(storage)
    assert storage.claim_waiting_trial(sid) is None
    dist = {"x": Float(0.0, 1.0)}
    storage.create_trials(
        sid,
        [
            _template(TrialState.WAITING, params={"x": 0.0}, distributions=dist),
            _template(TrialState.RUNNING),
            _template(TrialState.WAITING, params={"x": 0.2}, distributions=dist),
            _template(TrialState.COMPLETE, values=(1.0,)),
            _template(TrialState.WAITING, params={"x": 0.4}, distributions=dist),
        ],
    )
    before = datetime.now(UTC) - timedelta(seconds=1)
    claimed = []
    while (trial := storage.claim_waiting_trial(sid)) is not None:
        claimed.append(trial)
    assert [(t.number, t.params) for t in claimed] == [
        (0, {"x": 0.0}),
        (2, {"x": 0.2}),
        (4, {"x": 0.4}),
    ]
    for trial in claimed:
        assert trial.state is TrialState.RUNNING
        assert trial.datetime_start is not None and trial.datetime_start >= before
        assert trial.distributions == dist
        _assert_same(_all(storage, sid)[trial.number], trial)
    assert storage.claim_waiting_trial(sid) is None


# -- updating trials ---------------------------------------------------------------------------


def test_partial_updates_change_only_what_is_given(storage: BaseStorage) -> None:
    sid = _study(storage)
    [n] = storage.create_trials(sid, [_template(datetime_start=T0, user_attrs={"a": 1})])
    dists: dict[str, Distribution] = {"x": Float(0.0, 1.0), "n": Int(1, 5)}

    t = storage.update_trial(sid, n, params={"x": 0.5, "n": 2}, distributions=dists)
    expected = _template(
        number=n,
        datetime_start=T0,
        user_attrs={"a": 1},
        params={"x": 0.5, "n": 2},
        distributions=dists,
    )
    _assert_same(t, expected)

    t = storage.update_trial(sid, n, intermediate_values={0: 3.0, 1: 2.0})
    expected = expected.with_changes(intermediate_values={0: 3.0, 1: 2.0})
    _assert_same(t, expected)

    # Mappings replace the stored ones whole.
    t = storage.update_trial(sid, n, user_attrs={"b": [1, 2]}, intermediate_values={2: 1.0})
    expected = expected.with_changes(user_attrs={"b": [1, 2]}, intermediate_values={2: 1.0})
    _assert_same(t, expected)

    t = storage.update_trial(sid, n, constraints=[0.5, -1.0], values=[7.0])
    expected = expected.with_changes(constraints=(0.5, -1.0), values=(7.0,))
    _assert_same(t, expected)
    assert t.datetime_complete is None
    _assert_same(_all(storage, sid)[n], expected)


def test_finishing_sets_the_end_time(storage: BaseStorage) -> None:
    sid = _study(storage)
    storage.create_trials(sid, [_template(datetime_start=T0)] * 3)
    before = datetime.now(UTC) - timedelta(seconds=1)
    done = storage.update_trial(sid, 0, state=TrialState.COMPLETE, values=[1.25])
    pruned = storage.update_trial(sid, 1, state=TrialState.PRUNED)
    failed = storage.update_trial(sid, 2, state=TrialState.FAIL, error="RuntimeError: boom")
    assert (done.state, done.values) == (TrialState.COMPLETE, (1.25,))
    assert (pruned.state, pruned.values) == (TrialState.PRUNED, None)
    assert (failed.state, failed.error) == (TrialState.FAIL, "RuntimeError: boom")
    for t in (done, pruned, failed):
        assert t.datetime_complete is not None and t.datetime_complete >= before
        assert t.datetime_start == T0
        _assert_same(_all(storage, sid)[t.number], t)


def test_waiting_trial_can_be_updated_and_started(storage: BaseStorage) -> None:
    sid = _study(storage)
    [n] = storage.create_trials(sid, [_template(TrialState.WAITING)])
    t = storage.update_trial(sid, n, state=TrialState.RUNNING, user_attrs={"by": "hand"})
    assert (t.state, t.user_attrs, t.datetime_complete) == (
        TrialState.RUNNING,
        {"by": "hand"},
        None,
    )


@pytest.mark.parametrize("final", [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL])
def test_finished_trials_are_refused_and_unchanged(storage: BaseStorage, final: TrialState) -> None:
    sid = _study(storage)
    [n] = storage.create_trials(sid, [_template()])
    finished = storage.update_trial(sid, n, state=final, values=[1.0], error="why")
    version = _version(storage, sid)
    attempts: list[dict[str, Any]] = [
        {"state": TrialState.COMPLETE, "values": [2.0]},
        {"user_attrs": {"late": True}},
        {"intermediate_values": {0: 1.0}},
        {"state": TrialState.RUNNING},
        {"claim": "late"},
    ]
    for kwargs in attempts:
        with pytest.raises(TrialFinishedError, match=f"Trial {n} .*{final.name}"):
            storage.update_trial(sid, n, **kwargs)
    assert storage.trials_since(sid, version) == ([], version)
    _assert_same(_all(storage, sid)[n], finished)
    # The refused claim was not taken.
    [other] = storage.create_trials(sid, [_template()])
    assert storage.update_trial(sid, other, claim="late").number == other


def test_update_of_a_missing_trial_raises_key_error(storage: BaseStorage) -> None:
    sid = _study(storage)
    storage.create_trials(sid, [_template()])
    with pytest.raises(KeyError):
        storage.update_trial(sid, 1, state=TrialState.COMPLETE, values=[1.0])


def test_claim_conflict_changes_nothing(storage: BaseStorage) -> None:
    sid = _study(storage)
    storage.create_trials(sid, [_template(), _template(user_attrs={"keep": 1})])
    holder = storage.update_trial(sid, 0, claim="grid:3")
    assert holder.state is TrialState.RUNNING
    storage.update_trial(sid, 0, claim="grid:3")  # the holder may repeat its claim
    version = _version(storage, sid)
    before = _all(storage, sid)[1]
    with pytest.raises(ClaimConflictError, match=r"'grid:3'.*trial 0"):
        storage.update_trial(
            sid, 1, claim="grid:3", state=TrialState.COMPLETE, values=[1.0], user_attrs={"x": 1}
        )
    assert storage.trials_since(sid, version) == ([], version)
    _assert_same(_all(storage, sid)[1], before)
    # Another claim is free, and claims stay held once the holder finishes.
    assert storage.update_trial(sid, 1, claim="grid:4").number == 1
    storage.update_trial(sid, 0, state=TrialState.COMPLETE, values=[0.0])
    [n] = storage.create_trials(sid, [_template()])
    with pytest.raises(ClaimConflictError):
        storage.update_trial(sid, n, claim="grid:3")


# -- syncing -----------------------------------------------------------------------------------


def test_trials_since_returns_what_changed_after_a_version(storage: BaseStorage) -> None:
    sid = _study(storage)
    trials, v0 = storage.trials_since(sid, 0)
    assert (trials, v0) == ([], 0)
    storage.create_trials(sid, [_template()] * 3)
    trials, v1 = storage.trials_since(sid, v0)
    assert [t.number for t in trials] == [0, 1, 2] and v1 > v0
    assert storage.trials_since(sid, v1) == ([], v1)

    storage.update_trial(sid, 1, user_attrs={"a": 1})
    storage.update_trial(sid, 1, state=TrialState.COMPLETE, values=[3.0])
    trials, v2 = storage.trials_since(sid, v1)
    assert v2 > v1
    assert [(t.number, t.state, t.values) for t in trials] == [(1, TrialState.COMPLETE, (3.0,))]

    storage.create_trials(sid, [_template(TrialState.WAITING)])
    storage.update_trial(sid, 0, state=TrialState.FAIL)
    claimed = storage.claim_waiting_trial(sid)
    assert claimed is not None
    trials, v3 = storage.trials_since(sid, v2)
    assert v3 > v2
    assert [(t.number, t.state) for t in trials] == [(0, TrialState.FAIL), (3, TrialState.RUNNING)]
    # Reading from any older version gives the latest record of each changed trial.
    trials, v = storage.trials_since(sid, v1)
    assert v == v3
    assert [(t.number, t.state) for t in trials] == [
        (0, TrialState.FAIL),
        (1, TrialState.COMPLETE),
        (3, TrialState.RUNNING),
    ]
    assert [t.number for t in storage.trials_since(sid, 0)[0]] == [0, 1, 2, 3]


# -- parameters round-trip exactly -------------------------------------------------------------

_FLOATS = [0.1 + 0.2, 1 / 3, 5e-324, -0.0, 1.0 - 2**-53, -1.0, 0.7853981633974483]
_CHOICES = Categorical([None, True, False, 1, 1.0, 0, "1", "", (1, "a"), ((1, 2), None), 2.5])


def _round_trip_cases() -> list[tuple[Distribution, Any]]:
    cases: list[tuple[Distribution, Any]] = []
    cases += [(Float(-1.0, 1.0), x) for x in _FLOATS]
    cases += [
        (Float(1e-8, 1e8, log=True), 3.0517578125e-05),
        (Float(1e-8, 1e8, log=True), 12345.678901234567),
        (Float(0.0, 1.0, step=0.1), 0.30000000000000004),
        (Float(-2.0, 2.0, step=0.5), -1.5),
        (Int(-10, 10), -7),
        (Int(-10, 10), 0),
        (Int(1, 1 << 40, log=True), (1 << 40) - 1),
        (Int(0, 100, step=5), 95),
        (Scipy(scipy.stats.norm(loc=0.5, scale=2.0)), -1.2345678901234567),
        (Scipy(scipy.stats.beta(2, 5)), 0.123456789),
        (Scipy(scipy.stats.poisson(3.5)), 7),
    ]
    cases += [(_CHOICES, c) for c in _CHOICES.choices]
    return cases


def test_params_of_every_type_round_trip_exactly(storage: BaseStorage) -> None:
    sid = _study(storage)
    cases = _round_trip_cases()
    # Half stored at creation, half through update_trial.
    templates = [
        _template(params={"p": value}, distributions={"p": dist}) for dist, value in cases[::2]
    ]
    storage.create_trials(sid, templates)
    for dist, value in cases[1::2]:
        [n] = storage.create_trials(sid, [_template()])
        storage.update_trial(sid, n, params={"p": value}, distributions={"p": dist})
    stored = _all(storage, sid)
    expected = cases[::2] + cases[1::2]
    for trial, (dist, value) in zip(stored, expected, strict=True):
        got = trial.params["p"]
        assert type(got) is type(value), (got, value)
        assert repr(got) == repr(value)  # bit-exact floats, -0.0 included
        assert trial.distributions["p"] == dist
        assert repr(trial.distributions["p"]) == repr(dist)


def test_mixed_choices_keep_their_identity(storage: BaseStorage) -> None:
    sid = _study(storage)
    dist = Categorical([1, 1.0, True])
    storage.create_trials(
        sid, [_template(params={"c": v}, distributions={"c": dist}) for v in (True, 1.0, 1)]
    )
    got = [t.params["c"] for t in _all(storage, sid)]
    assert [(type(v), v) for v in got] == [(bool, True), (float, 1.0), (int, 1)]


def test_numpy_numbers_are_stored_as_their_values(storage: BaseStorage) -> None:
    # SQL backends give back Python numbers and lists, memory the objects themselves: equal.
    sid = _study(storage)
    dists: dict[str, Distribution] = {"n": Int(0, 10), "x": Float(0.0, 1.0)}
    attrs = {"acc": np.float32(0.25), "ok": np.bool_(True)}
    template = _template(
        params={"n": np.int64(7), "x": np.float32(0.5)}, distributions=dists, user_attrs=attrs
    )
    [n] = storage.create_trials(sid, [template])
    trial = _all(storage, sid)[n]
    assert trial.params == {"n": 7, "x": 0.5}
    assert trial.user_attrs == {"acc": 0.25, "ok": True}
    storage.update_trial(sid, n, user_attrs={"curve": np.array([1.5, 2.5])})
    assert np.asarray(_all(storage, sid)[n].user_attrs["curve"]).tolist() == [1.5, 2.5]


def test_replacing_only_distributions_keeps_param_values(storage: BaseStorage) -> None:
    sid = _study(storage)
    old = Categorical(["a", "b", "c"])
    [n] = storage.create_trials(sid, [_template(params={"c": "c"}, distributions={"c": old})])
    # The same value under a reordered domain: a stored index must not be reinterpreted.
    new = Categorical(["c", "b", "a", "d"])
    t = storage.update_trial(sid, n, distributions={"c": new})
    assert (t.params, t.distributions) == ({"c": "c"}, {"c": new})
    t = storage.update_trial(sid, n, params={"c": "d"})
    assert (t.params, t.distributions) == ({"c": "d"}, {"c": new})
    assert _all(storage, sid)[n].params == {"c": "d"}


# -- isolation and sharing ---------------------------------------------------------------------


def test_two_studies_are_isolated(storage: BaseStorage) -> None:
    a = _study(storage, "a")
    b = _study(storage, "b")
    assert storage.create_trials(a, [_template()] * 2) == [0, 1]
    assert storage.create_trials(b, [_template(TrialState.WAITING)]) == [0]
    storage.update_trial(a, 1, state=TrialState.COMPLETE, values=[1.0], claim="same")
    storage.update_trial(b, 0, claim="same")  # claims are per study
    assert storage.claim_waiting_trial(a) is None
    assert [(t.number, t.state) for t in _all(storage, a)] == [
        (0, TrialState.RUNNING),
        (1, TrialState.COMPLETE),
    ]
    assert [(t.number, t.state) for t in _all(storage, b)] == [(0, TrialState.WAITING)]
    _, vb = storage.trials_since(b, 0)
    storage.update_trial(a, 0, user_attrs={"x": 1})
    assert storage.trials_since(b, vb) == ([], vb)
    storage.delete_study("a")
    assert [t.number for t in _all(storage, b)] == [0]


def test_two_storage_objects_see_each_others_writes(
    make_storage: Callable[..., BaseStorage],
) -> None:
    first = make_storage()
    second = make_storage()
    sid = first.create_study("shared", ["maximize"]).study_id
    assert second.get_study("shared").study_id == sid
    with pytest.raises(DuplicatedStudyError):
        second.create_study("shared", ["maximize"])

    assert first.create_trials(sid, [_template()] * 2) == [0, 1]
    assert second.create_trials(sid, [_template(TrialState.WAITING)]) == [2]
    trials, version = second.trials_since(sid, 0)
    assert [t.number for t in trials] == [0, 1, 2]

    claimed = first.claim_waiting_trial(sid)
    assert claimed is not None and claimed.number == 2
    assert second.claim_waiting_trial(sid) is None
    second.update_trial(sid, 0, state=TrialState.COMPLETE, values=[5.0])
    with pytest.raises(TrialFinishedError):
        first.update_trial(sid, 0, state=TrialState.COMPLETE, values=[6.0])
    changed, _ = first.trials_since(sid, version)
    assert [(t.number, t.state, t.values) for t in changed] == [
        (0, TrialState.COMPLETE, (5.0,)),
        (2, TrialState.RUNNING, None),
    ]
    second.delete_study("shared")
    with pytest.raises(StudyNotFoundError):
        first.get_study("shared")
