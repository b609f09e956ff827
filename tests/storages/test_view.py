"""``StudyView``: one study of a storage, synced incrementally, on every backend."""

from __future__ import annotations

import pickle

import pytest

import tunesmith as ts
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.storages import BaseStorage, StudyView

from .conftest import Backend


def _complete(value: float) -> FrozenTrial:
    return ts.create_trial(params={}, distributions={}, value=value)


def test_a_view_reads_what_changed_since_its_last_sync(storage: BaseStorage) -> None:
    study_id = storage.create_study("v", ["maximize"]).study_id
    view = StudyView(storage, "v")
    assert (view.study_name, view.directions, view.study_id) == ("v", ("maximize",), study_id)
    assert len(view.trials) == 0
    storage.create_trials(study_id, [_complete(1.0), _complete(2.0)])
    changed, rebuilt = view.sync()
    assert [t.number for t in changed] == [0, 1]
    assert rebuilt is False
    assert view.sync() == ([], False)  # nothing new: nothing read
    storage.create_trials(study_id, [FrozenTrial(number=-1, state=TrialState.RUNNING)])
    storage.update_trial(study_id, 2, state=TrialState.FAIL, error="x")
    later, _ = view.sync()
    assert [(t.number, t.state) for t in later] == [(2, TrialState.FAIL)]
    assert [t.number for t in view.trials] == [0, 1, 2]


def test_a_view_is_a_pruning_context_with_the_study_api(storage: BaseStorage) -> None:
    study_id = storage.create_study("v", ["minimize"]).study_id
    storage.create_trials(study_id, [_complete(1.0), FrozenTrial(number=-1, state=TrialState.FAIL)])
    view = StudyView(storage, "v")
    context: ts.pruners.PruningContext = view
    assert isinstance(context.trials, tuple)  # read-only
    assert [t.number for t in view.get_trials([TrialState.COMPLETE])] == [0]
    assert view.direction == "minimize"
    storage.create_study("two", ["minimize", "maximize"])
    with pytest.raises(RuntimeError, match="several objectives"):
        _ = StudyView(storage, "two").direction


def test_a_view_of_a_missing_study_lists_the_names(storage: BaseStorage) -> None:
    storage.create_study("here", ["minimize"])
    with pytest.raises(ts.StudyNotFoundError, match="'here'"):
        StudyView(storage, "gone")


def test_put_holds_a_record_before_the_next_sync(storage: BaseStorage) -> None:
    study_id = storage.create_study("v", ["minimize"]).study_id
    storage.create_trials(study_id, [FrozenTrial(number=-1, state=TrialState.RUNNING)])
    view = StudyView(storage, "v")
    view.sync()
    told = storage.update_trial(study_id, 0, state=TrialState.COMPLETE, values=[3.0])
    view.put(told)
    assert view.cached[0].state is TrialState.COMPLETE
    cached = view.cached
    view.sync()
    assert view.cached is cached  # one list for the view's life, updated in place


def test_a_pickled_view_reads_the_same_database(backend: Backend) -> None:
    storage = backend.make()
    study = ts.create_study(storage=storage, study_name="p")
    study.tell(study.ask(), 1.0)
    copy = pickle.loads(pickle.dumps(StudyView(storage, "p")))
    assert [t.value for t in copy.trials] == [1.0]
    study.tell(study.ask(), 2.0)
    seen = [t.value for t in copy.trials]
    # A SQL view is a handle on the same database; an in-memory one holds a copy.
    assert seen == ([1.0, 2.0] if backend.shares_database else [1.0])
    if backend.shares_database:
        copy.storage.close()
