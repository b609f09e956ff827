"""Heartbeats of running trials and the reaping of dead workers' trials, on a real SQLite file."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

import tunesmith as ts
from tunesmith._heartbeat import Heartbeat
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.storages import SQLStorage

INTERVAL, GRACE = 0.05, 1.0  # 20 beats per grace period: no load delays that many


def _running(storage: SQLStorage, study_id: int) -> int:
    template = FrozenTrial(number=-1, state=TrialState.RUNNING)
    return storage.create_trials(study_id, [template], heartbeat=True)[0]


def _state(storage: SQLStorage, study_id: int, number: int) -> TrialState:
    trials, _ = storage.trials_since(study_id, 0)
    return next(t.state for t in trials if t.number == number)


@pytest.fixture
def storage(tmp_path: Path) -> SQLStorage:
    return SQLStorage(
        f"sqlite:///{tmp_path}/hb.db", heartbeat_interval=INTERVAL, grace_period=GRACE
    )


def test_beats_keep_a_trial_alive_and_its_end_lets_it_be_reaped(storage: SQLStorage) -> None:
    study_id = storage.create_study("hb", ["minimize"]).study_id
    alive, dead = _running(storage, study_id), _running(storage, study_id)
    heartbeat = Heartbeat(storage, study_id)
    heartbeat.start([alive])
    time.sleep(GRACE + 4 * INTERVAL)
    assert heartbeat.reap() is True  # the trial nobody beats for is stale
    assert _state(storage, study_id, dead) is TrialState.FAIL
    assert _state(storage, study_id, alive) is TrialState.RUNNING
    heartbeat.stop(alive)
    deadline = time.monotonic() + 10
    while heartbeat._thread is not None and time.monotonic() < deadline:
        time.sleep(INTERVAL)
    assert heartbeat._thread is None  # no trial left: the thread ended by itself
    time.sleep(GRACE)
    heartbeat._last_reap = 0.0
    assert heartbeat.reap() is True
    assert _state(storage, study_id, alive) is TrialState.FAIL
    storage.close()


def test_reaping_runs_at_most_once_per_interval(storage: SQLStorage) -> None:
    study_id = storage.create_study("hb", ["minimize"]).study_id
    heartbeat = Heartbeat(storage, study_id)
    _running(storage, study_id)
    time.sleep(GRACE + INTERVAL)
    assert heartbeat.reap() is True
    _running(storage, study_id)
    time.sleep(GRACE + INTERVAL)
    heartbeat._last_reap = time.monotonic()  # just reaped: the next call does not look
    assert heartbeat.reap() is False
    storage.close()


def test_the_in_memory_storage_needs_no_heartbeat() -> None:
    storage = ts.storages.InMemoryStorage()
    heartbeat = Heartbeat(storage, storage.create_study("m", ["minimize"]).study_id)
    assert heartbeat.enabled is False
    heartbeat.start([0])
    assert heartbeat._thread is None and heartbeat.reap() is False


def _start_in_child(heartbeat: Heartbeat, number: int, done: object) -> None:
    heartbeat.start([number])
    done.set()  # type: ignore[attr-defined]


def test_a_forked_child_starts_its_own_beats_even_if_the_lock_was_held(
    storage: SQLStorage,
) -> None:
    study_id = storage.create_study("hb", ["minimize"]).study_id
    heartbeat = Heartbeat(storage, study_id)
    heartbeat.start([_running(storage, study_id)])
    ctx = multiprocessing.get_context("fork")
    done = ctx.Event()
    with heartbeat._lock:  # the parent's thread could hold it at the moment of the fork
        child = ctx.Process(target=_start_in_child, args=(heartbeat, 1, done), daemon=True)
        child.start()
    child.join(timeout=20)
    if child.is_alive():  # a deadlocked child must not hang the test run
        child.kill()
        child.join()
    assert done.is_set(), "the child deadlocked on the lock it inherited"
    assert child.exitcode == 0
    heartbeat.stop(0)
    storage.close()
