"""``Study.optimize``: the loop, failures that never lose data, interrupts, workers, callbacks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import tunesmith as ts

COMPLETE, PRUNED, FAIL = ts.TrialState.COMPLETE, ts.TrialState.PRUNED, ts.TrialState.FAIL
RUNNING = ts.TrialState.RUNNING


class BoomError(Exception):
    """An error raised by test objectives (module level, so it pickles across processes)."""


def _sqlite(tmp_path: Path) -> str:
    return "sqlite:///" + str(tmp_path / "x.db")


def quadratic(trial: ts.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    return (x - 1) ** 2


def unit(trial: ts.Trial) -> float:
    return trial.suggest_float("x", 0, 1)


def _fail_on(number: int, exc: type[Exception] = BoomError) -> Any:
    def objective(trial: ts.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == number:
            raise exc(f"boom on trial {number}")
        return x

    return objective


# -- the loop ----------------------------------------------------------------------------------


def test_optimize_runs_n_trials_and_finds_the_minimum_region() -> None:
    study = ts.create_study(seed=0)
    study.optimize(quadratic, n_trials=60)
    trials = study.trials
    assert [t.number for t in trials] == list(range(60))
    assert all(t.state is COMPLETE for t in trials)
    assert all(t.values == ((t.params["x"] - 1) ** 2,) for t in trials)
    assert study.best_value == min(t.values[0] for t in trials if t.values)
    assert abs(study.best_params["x"] - 1) < 0.5


def test_optimize_again_continues_numbering() -> None:
    study = ts.create_study(seed=0)
    study.optimize(quadratic, n_trials=3)
    study.optimize(quadratic, n_trials=2)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]


def test_optimize_maximize() -> None:
    study = ts.create_study(direction="maximize", seed=0)
    study.optimize(lambda t: -quadratic(t), n_trials=30)
    assert study.best_value == max(t.values[0] for t in study.trials if t.values)
    assert study.best_value <= 0


def test_optimize_declarative_space() -> None:
    space = {"x": ts.Float(-5, 5), "n": ts.Int(1, 3), "act": ["relu", "gelu"]}
    seen: list[dict[str, Any]] = []

    def objective(trial: ts.Trial) -> float:
        seen.append(trial.params)
        return float(trial.params["x"] ** 2 + trial.params["n"])

    study = ts.create_study(seed=0)
    study.optimize(objective, n_trials=10, space=space)
    assert len(seen) == 10
    assert all(set(p) == {"x", "n", "act"} for p in seen)
    assert [t.params for t in study.trials] == seen


def test_optimize_multi_objective() -> None:
    study = ts.create_study(directions=["minimize", "maximize"], seed=0)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=8)
    assert all(t.state is COMPLETE and t.values is not None and len(t.values) == 2
               for t in study.trials)  # fmt: skip
    assert study.best_trials


def test_optimize_with_enqueued_trials_runs_them_first() -> None:
    study = ts.create_study(seed=0)
    study.enqueue_trial({"x": 1.0})
    study.enqueue_trial({"x": -2.0})
    study.optimize(quadratic, n_trials=4)
    assert [t.params["x"] for t in study.trials[:2]] == [1.0, -2.0]
    assert study.best_value == 0.0


def test_optimize_stops_when_the_grid_is_exhausted() -> None:
    sampler = ts.samplers.GridSampler({"a": [1, 2], "b": ["x", "y"]})
    study = ts.create_study(sampler=sampler)
    study.optimize(lambda t: t.params["a"], n_trials=10, space={"a": [1, 2], "b": ["x", "y"]})
    configs = {(t.params["a"], t.params["b"]) for t in study.trials}
    assert configs == {(1, "x"), (1, "y"), (2, "x"), (2, "y")}
    assert len(study.trials) == 4


def test_pruned_trial_keeps_the_last_reported_value() -> None:
    def objective(trial: ts.Trial) -> float:
        for step in range(5):
            trial.report(10.0 - step, step)
            if step == 2 and trial.number == 1:
                raise ts.TrialPruned()
        return 0.0

    study = ts.create_study()
    study.optimize(objective, n_trials=3)
    states = [t.state for t in study.trials]
    assert states == [COMPLETE, PRUNED, COMPLETE]
    pruned = study.trials[1]
    assert pruned.values == (8.0,)
    assert pruned.intermediate_values == {0: 10.0, 1: 9.0, 2: 8.0}
    assert pruned.error is None


def test_user_attrs_set_in_the_objective_are_stored() -> None:
    def objective(trial: ts.Trial) -> float:
        trial.set_user_attr("number_twice", 2 * trial.number)
        return 0.0

    study = ts.create_study()
    study.optimize(objective, n_trials=3)
    assert [t.user_attrs for t in study.trials] == [{"number_twice": 2 * i} for i in range(3)]


# -- failures never lose data -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "reason"),
    [
        (float("nan"), "the objective returned nan"),
        (float("inf"), "the objective returned inf"),
        (-float("inf"), "the objective returned -inf"),
        (None, "the objective returned None"),
        ("0.5", "the objective returned '0.5' (str), not a number"),
        ((1.0, 2.0), "1 objective(s), so 1 value(s) are expected, but got 2"),
        ([], "but got 0"),
    ],
)
def test_unusable_return_values_fail_the_trial_and_the_study_goes_on(
    returned: Any, reason: str
) -> None:
    study = ts.create_study(seed=0)

    def objective(trial: ts.Trial) -> Any:
        x = trial.suggest_float("x", 0, 1)
        return returned if trial.number == 1 else x

    study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [COMPLETE, FAIL, COMPLETE]
    failed = study.trials[1]
    assert failed.error is not None and reason in failed.error
    assert failed.values is None
    assert "x" in failed.params  # what was drawn is kept


def test_numpy_return_values_are_accepted() -> None:
    import numpy as np

    study = ts.create_study(directions=["minimize", "minimize"], seed=0)
    study.optimize(lambda t: np.array([t.suggest_float("x", 0, 1), 1.0]), n_trials=2)
    assert all(t.state is COMPLETE for t in study.trials)
    single = ts.create_study(seed=0)
    single.optimize(lambda t: np.array(t.suggest_float("x", 0, 1)), n_trials=1)
    single.optimize(lambda t: np.float32(0.5), n_trials=1)
    assert [t.state for t in single.trials] == [COMPLETE, COMPLETE]
    assert single.trials[1].values == (0.5,)


def test_an_exception_fails_the_trial_and_is_raised() -> None:
    study = ts.create_study(seed=0)
    with pytest.raises(BoomError, match="boom on trial 2"):
        study.optimize(_fail_on(2), n_trials=5)
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE, FAIL]
    assert study.trials[2].error == "BoomError: boom on trial 2"
    assert "x" in study.trials[2].params


@pytest.mark.parametrize("catch", [BoomError, (BoomError,), [ValueError, BoomError], Exception])
def test_caught_exceptions_fail_the_trial_and_the_study_goes_on(catch: Any) -> None:
    seen: list[ts.FrozenTrial] = []
    study = ts.create_study(seed=0)
    study.optimize(_fail_on(1), n_trials=3, catch=catch, callbacks=[lambda s, t: seen.append(t)])
    assert [t.state for t in study.trials] == [COMPLETE, FAIL, COMPLETE]
    assert study.trials[1].error == "BoomError: boom on trial 1"
    assert [t.state for t in seen] == [COMPLETE, FAIL, COMPLETE]


def test_exceptions_outside_catch_are_raised() -> None:
    study = ts.create_study(seed=0)
    with pytest.raises(BoomError):
        study.optimize(_fail_on(1), n_trials=3, catch=(ValueError,))
    assert [t.state for t in study.trials] == [COMPLETE, FAIL]


def test_finished_trials_are_stored_before_the_exception_propagates(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    study = ts.create_study(study_name="s", storage=url, seed=0)

    def objective(trial: ts.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 0)
        if trial.number == 3:
            raise BoomError("disk full")
        return x

    try:
        study.optimize(objective, n_trials=10)
    except BoomError:
        fresh = ts.load_study("s", url)  # a new connection, while the error propagates
        trials = fresh.trials
    else:
        pytest.fail("optimize did not raise")
    assert [t.state for t in trials] == [COMPLETE] * 3 + [FAIL]
    assert trials[3].error == "BoomError: disk full"
    assert trials[3].intermediate_values == {0: trials[3].params["x"]}
    assert [t.values for t in trials[:3]] == [(t.params["x"],) for t in trials[:3]]


def test_callbacks_see_a_trial_that_is_already_stored(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    study = ts.create_study(study_name="s", storage=url, seed=0)
    stored: list[ts.FrozenTrial] = []

    def callback(study: ts.Study, frozen: ts.FrozenTrial) -> None:
        stored.append(ts.load_study("s", url).trials[frozen.number])

    study.optimize(quadratic, n_trials=3, callbacks=[callback])
    assert [t.state for t in stored] == [COMPLETE] * 3
    assert [t.params for t in stored] == [t.params for t in study.trials]


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_interrupt_fails_the_trial_propagates_and_the_study_resumes(
    interrupt: type[BaseException],
) -> None:
    study = ts.create_study(seed=0)

    def objective(trial: ts.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            raise interrupt()
        return x

    with pytest.raises(interrupt):
        study.optimize(objective, n_trials=5)
    assert [t.state for t in study.trials] == [COMPLETE, COMPLETE, FAIL]
    assert study.trials[2].error == f"interrupted ({interrupt.__name__})"
    study.optimize(unit, n_trials=2)
    assert [t.number for t in study.trials] == [0, 1, 2, 3, 4]
    assert [t.state for t in study.trials[3:]] == [COMPLETE, COMPLETE]


_SIGINT_SCRIPT = textwrap.dedent(
    """
    import signal, sys, time
    import tunesmith as ts

    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    study = ts.create_study(study_name="s", storage=sys.argv[1], seed=0)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            print("sleeping", flush=True)
            time.sleep(120)
        return x

    try:
        study.optimize(objective, n_trials=5)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
    """
)


def test_sigint_marks_the_running_trial_failed_and_the_study_resumes(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-c", _SIGINT_SCRIPT, url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(120, proc.kill)  # never hang the test run
    watchdog.start()
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == "sleeping\n", line + proc.communicate(timeout=30)[1]
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert out == "interrupted\n"

    study = ts.load_study("s", url)
    trials = study.trials
    assert [t.state for t in trials] == [COMPLETE, COMPLETE, FAIL]
    assert trials[2].error is not None and "interrupted" in trials[2].error
    assert "x" in trials[2].params

    study.optimize(unit, n_trials=2)
    assert [(t.number, t.state) for t in ts.load_study("s", url).trials[3:]] == [
        (3, COMPLETE),
        (4, COMPLETE),
    ]


# -- workers -----------------------------------------------------------------------------------


def test_threads_run_exactly_n_trials_with_unique_numbers() -> None:
    study = ts.create_study(seed=0)

    def objective(trial: ts.Trial) -> float:
        time.sleep(0.001)  # let the threads interleave
        return quadratic(trial)

    study.optimize(objective, n_trials=40, n_jobs=2)
    trials = study.trials
    assert len(trials) == 40
    assert sorted(t.number for t in trials) == list(range(40))
    assert all(t.state is COMPLETE for t in trials)
    assert len({t.params["x"] for t in trials}) == 40


def test_an_exception_in_a_thread_is_raised_with_its_type() -> None:
    study = ts.create_study(seed=0)
    with pytest.raises(BoomError, match="boom on trial 3"):
        study.optimize(_fail_on(3), n_trials=20, n_jobs=2)
    trials = study.trials
    assert [t.number for t in trials if t.state is FAIL] == [3]
    assert not [t for t in trials if t.state is RUNNING]
    # How many trials the other thread finishes before the budget closes depends on the GIL's
    # switch interval, so the count is not asserted.


def test_processes_share_a_sqlite_file_and_run_exactly_n_trials(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    study = ts.create_study(study_name="s", storage=url, seed=0)
    study.optimize(quadratic, n_trials=12, n_jobs=2)
    trials = ts.load_study("s", url).trials
    assert len(trials) == 12
    assert sorted(t.number for t in trials) == list(range(12))
    assert all(t.state is COMPLETE for t in trials)
    assert len({t.params["x"] for t in trials}) == 12
    assert len(study.trials) == 12  # the parent's view is synced


def test_an_exception_in_a_worker_process_is_raised_with_its_type(tmp_path: Path) -> None:
    url = _sqlite(tmp_path)
    study = ts.create_study(study_name="s", storage=url, seed=0)
    with pytest.raises(BoomError, match="boom on trial 3"):
        study.optimize(_fail_on(3), n_trials=30, n_jobs=2)
    trials = ts.load_study("s", url).trials
    failed = [t for t in trials if t.state is FAIL]
    assert [t.number for t in failed] == [3]
    assert failed[0].error == "BoomError: boom on trial 3"
    assert not [t for t in trials if t.state is RUNNING]


@pytest.mark.parametrize(
    ("n_jobs", "error"),
    [(0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)],
)
def test_bad_n_jobs_is_refused(n_jobs: Any, error: type[Exception]) -> None:
    study = ts.create_study()
    with pytest.raises(error, match=r"`n_jobs` must be an int >= 1, or -1.*n_jobs="):
        study.optimize(quadratic, n_trials=1, n_jobs=n_jobs)
    assert study.trials == []


# -- callbacks, stop, timeout, progress --------------------------------------------------------


def test_callbacks_are_called_once_per_trial_with_the_frozen_trial() -> None:
    calls: list[tuple[ts.Study, ts.FrozenTrial]] = []
    other: list[int] = []
    study = ts.create_study(seed=0)
    study.optimize(
        quadratic,
        n_trials=4,
        callbacks=[lambda s, t: calls.append((s, t)), lambda s, t: other.append(t.number)],
    )
    assert [t.number for _, t in calls] == [0, 1, 2, 3]
    assert other == [0, 1, 2, 3]
    assert all(s is study for s, _ in calls)
    assert all(isinstance(t, ts.FrozenTrial) and t.state is COMPLETE for _, t in calls)
    assert [t for _, t in calls] == study.trials


def test_stop_from_a_callback_stops_after_the_current_trial() -> None:
    def stop_at_two(study: ts.Study, frozen: ts.FrozenTrial) -> None:
        if frozen.number == 2:
            study.stop()

    study = ts.create_study(seed=0)
    study.optimize(quadratic, n_trials=None, callbacks=[stop_at_two])
    assert [t.state for t in study.trials] == [COMPLETE] * 3
    # a stop request does not outlive its optimize call
    study.optimize(quadratic, n_trials=2)
    assert len(study.trials) == 5


def test_stop_with_threads() -> None:
    stopped_at: list[float] = []

    def stop_early(study: ts.Study, frozen: ts.FrozenTrial) -> None:
        if frozen.number == 2:  # seen by one worker only
            stopped_at.append(time.time())
            study.stop()

    def slow_quadratic(trial: ts.Trial) -> float:
        time.sleep(0.01)  # the other worker cannot race far ahead of the callback
        return quadratic(trial)

    study = ts.create_study(seed=0)
    study.optimize(slow_quadratic, n_trials=None, n_jobs=2, callbacks=[stop_early])
    trials = study.trials
    assert 3 <= len(trials) < 10
    assert all(t.state is COMPLETE for t in trials)
    # After stop(), the other worker finishes its trial and starts none.
    starts = [t.datetime_start.timestamp() for t in trials if t.datetime_start is not None]
    started_after = [s for s in starts if s > stopped_at[0]]
    assert len(started_after) <= 1


def test_stop_with_worker_processes_stops_every_worker(tmp_path: Path) -> None:
    stopped_at = tmp_path / "stopped_at"

    def stop_early(study: ts.Study, frozen: ts.FrozenTrial) -> None:
        if frozen.number == 2:  # seen by one worker only
            stopped_at.write_text(repr(time.time()))
            study.stop()

    url = _sqlite(tmp_path)
    study = ts.create_study(study_name="s", storage=url, seed=0)
    study.optimize(quadratic, n_trials=60, n_jobs=2, callbacks=[stop_early])
    trials = ts.load_study("s", url).trials
    assert all(t.state is COMPLETE for t in trials)
    assert len(trials) < 60
    # After the stop, a worker may only finish a trial it had already started: at most one
    # each. (How many the other worker ran before it depends on the scheduler.)
    stop = float(stopped_at.read_text())
    late = [
        t for t in trials if t.datetime_start is not None and t.datetime_start.timestamp() > stop
    ]
    assert len(late) <= 2


def test_timeout_stops_starting_new_trials_but_lets_the_running_one_finish() -> None:
    def slow(trial: ts.Trial) -> float:
        time.sleep(0.5)
        return quadratic(trial)

    study = ts.create_study(seed=0)
    study.optimize(slow, timeout=0.25)  # no n_trials: only the timeout ends the loop
    assert [t.state for t in study.trials] == [COMPLETE]


def test_timeout_with_threads_ends_the_run() -> None:
    def slow(trial: ts.Trial) -> float:
        time.sleep(0.01)
        return quadratic(trial)

    study = ts.create_study(seed=0)
    study.optimize(slow, timeout=0.3, n_jobs=2)
    assert study.trials
    assert all(t.state is COMPLETE for t in study.trials)


def test_progress_bar_writes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    study = ts.create_study(seed=0)
    study.optimize(quadratic, n_trials=3, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "trial 3/3" in err
    assert f"best value {study.best_value:.6g}" in err


# -- bad arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_trials", "error"),
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError), ("3", TypeError)],
)
def test_bad_n_trials_is_refused(n_trials: Any, error: type[Exception]) -> None:
    study = ts.create_study()
    with pytest.raises(error, match=r"`n_trials` must be None or an int >= 1.*n_trials="):
        study.optimize(quadratic, n_trials=n_trials)
    assert study.trials == []


@pytest.mark.parametrize(
    ("timeout", "error"),
    [
        (-1, ValueError),
        (0, ValueError),
        ("10", TypeError),
        (True, TypeError),
        (float("nan"), ValueError),
    ],
)
def test_bad_timeout_is_refused(timeout: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"`timeout` must be None or a number of seconds > 0.*"):
        ts.create_study().optimize(quadratic, n_trials=1, timeout=timeout)


@pytest.mark.parametrize("catch", ["x", (ValueError, "x"), KeyboardInterrupt, 3])
def test_bad_catch_is_refused(catch: Any) -> None:
    with pytest.raises(TypeError, match=r"`catch` must be an exception class or a tuple.*got"):
        ts.create_study().optimize(quadratic, n_trials=1, catch=catch)


def test_bad_objective_and_callbacks_are_refused() -> None:
    study = ts.create_study()
    with pytest.raises(TypeError, match=r"`objective` must be callable.*'f'"):
        study.optimize("f", n_trials=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"every callback must be callable.*None"):
        study.optimize(quadratic, n_trials=1, callbacks=[None])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"space: expected a dict"):
        study.optimize(quadratic, n_trials=1, space=3)
    assert study.trials == []
