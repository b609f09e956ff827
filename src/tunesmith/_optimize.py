"""``Study.optimize``: a thin loop over ask / tell, run by one worker, threads or processes.

The loop uses the study through its documented seam (see ``Study``): ``_optimizing`` around
the run, ``_ask`` to start a trial and ``_finish`` to store how it ended.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ._checks import check_float_or_none, check_int, check_int_or_none, message
from ._errors import SearchSpaceExhausted, TrialPruned
from .records import FrozenTrial, TrialState, parse_values
from .space import Space, UnionSpace, as_space
from .trial import Trial

if TYPE_CHECKING:
    from .study import Study

_logger = logging.getLogger("tunesmith")

Objective = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]

#: After Ctrl-C, how long worker processes get to store their interrupted trial by themselves
#: (the terminal signals the whole process group) before they are sent SIGINT.
_INTERRUPT_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class _Plan:
    """What every worker of one ``optimize`` call runs."""

    objective: Objective
    space: Space | UnionSpace | None
    budget: _Budget
    deadline: float | None
    catch: tuple[type[Exception], ...]
    callbacks: list[Callback]
    progress: _Progress | None


def optimize(
    study: Study,
    objective: Objective,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Any,
    callbacks: Iterable[Callback],
    show_progress_bar: bool,
    space: Any,
) -> None:
    """Validate the arguments of ``Study.optimize`` and run its workers."""
    if not callable(objective):
        raise TypeError(f"optimize: `objective` must be callable, but got {objective!r}.")
    n_trials = check_int_or_none(n_trials, "n_trials", low=1, owner="optimize")
    timeout = check_float_or_none(
        timeout,
        "timeout",
        low=0.0,
        low_open=True,
        owner="optimize",
        rule="None or a number of seconds > 0",
    )
    workers = _resolve_n_jobs(n_jobs)
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"optimize: every callback must be callable, but got {cb!r}.")
    processes = workers > 1 and study.storage.shared_across_processes
    ctx: Any = None
    if processes:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")  # forked workers need no pickled objective
    plan = _Plan(
        objective=objective,
        space=None if space is None else as_space(space),
        budget=_Budget(n_trials, ctx),
        deadline=None if timeout is None else time.monotonic() + timeout,
        catch=_resolve_catch(catch),
        callbacks=callbacks,
        progress=_Progress(study, n_trials) if show_progress_bar and not processes else None,
    )
    try:
        with study._optimizing(plan.budget.close):
            if workers == 1:
                _loop(study, plan)
            elif processes:
                _run_processes(study, plan, workers, ctx)
            else:
                _run_threads(study, plan, workers)
    finally:
        if plan.progress is not None:
            plan.progress.close()


def _loop(study: Study, plan: _Plan) -> None:
    while plan.deadline is None or time.monotonic() < plan.deadline:
        if not plan.budget.take():
            break
        try:
            frozen = _run_trial(study, plan)
        except SearchSpaceExhausted:
            break
        for cb in plan.callbacks:
            cb(study, frozen)
        if plan.progress is not None:
            plan.progress.update()


def _run_trial(study: Study, plan: _Plan) -> FrozenTrial:
    """Ask, run the objective, tell: every outcome of the objective is stored before it goes on."""
    trial = study._ask(plan.space, 1)[0]
    try:
        result = plan.objective(trial)
    except TrialPruned:
        return study._finish(trial, TrialState.PRUNED)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        frozen = study._finish(trial, TrialState.FAIL, error=error)
        if isinstance(exc, plan.catch):
            _logger.warning("Trial %d failed and was caught: %s", trial.number, error)
            return frozen
        raise
    except BaseException as exc:  # KeyboardInterrupt, SystemExit: store, then stop
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        study._finish(trial, TrialState.FAIL, error=f"interrupted ({detail})")
        raise
    try:
        values, reason = parse_values(result, len(study.directions), study.study_name)
    except ValueError as exc:  # a wrong number of values is the objective's fault here
        values, reason = None, str(exc)
    if reason is not None:
        _logger.warning("Trial %d failed: %s", trial.number, reason)
        return study._finish(trial, TrialState.FAIL, error=reason)
    return study._finish(trial, TrialState.COMPLETE, values=values)


def _run_threads(study: Study, plan: _Plan, workers: int) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _loop(study, plan)
        except BaseException as exc:
            errors.append(exc)
            plan.budget.close()

    threads = [threading.Thread(target=run, name=f"tunesmith-{i}") for i in range(workers)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        plan.budget.close()
        raise
    if errors:
        raise errors[0]


def _run_processes(study: Study, plan: _Plan, workers: int, ctx: Any) -> None:
    failures = ctx.Queue()
    remaining = None if plan.deadline is None else plan.deadline - time.monotonic()

    def run() -> None:
        deadline = None if remaining is None else time.monotonic() + remaining
        try:
            _loop(study, replace(plan, deadline=deadline, progress=None))
        except BaseException as exc:
            plan.budget.close()
            try:
                payload = pickle.dumps(exc)
            except Exception:
                payload = pickle.dumps(RuntimeError("".join(traceback.format_exception(exc))))
            failures.put(payload)
            failures.close()
            failures.join_thread()
            sys.exit(1)

    procs = [ctx.Process(target=run, name=f"tunesmith-{i}") for i in range(workers)]
    for p in procs:
        p.start()
    payloads: list[bytes] = []
    try:
        _wait(procs, failures, payloads, timeout=None)
    except KeyboardInterrupt:
        # The terminal has signalled every worker already; give them time to store their
        # interrupted trials before signalling those that are still running.
        if not _wait(procs, failures, payloads, timeout=_INTERRUPT_GRACE):
            for p in procs:
                if p.pid is not None and p.is_alive():
                    os.kill(p.pid, signal.SIGINT)
            _wait(procs, failures, payloads, timeout=None)
        raise
    if payloads:
        raise pickle.loads(payloads[0])


def _wait(procs: list[Any], failures: Any, payloads: list[bytes], timeout: float | None) -> bool:
    """Join ``procs`` while draining ``failures`` (a full pipe would block a failing worker).

    Returns whether every process ended within ``timeout``.
    """
    end = None if timeout is None else time.monotonic() + timeout
    while any(p.is_alive() for p in procs):
        if end is not None and time.monotonic() >= end:
            return False
        with contextlib.suppress(queue.Empty):
            payloads.append(failures.get(timeout=0.05))
    while not failures.empty():
        payloads.append(failures.get())
    for p in procs:
        p.join()
    return True


class _Budget:
    """How many trials may still start, shared by the workers of one ``optimize`` call.

    Threads share one object; forked processes share a counter and a stop flag in shared memory.
    """

    def __init__(self, n_trials: int | None, mp_context: Any = None) -> None:
        self._limit = -1 if n_trials is None else n_trials
        if mp_context is None:
            self._started: Any = _LocalCounter()
            self._stopped: Any = threading.Event()
        else:
            self._started = mp_context.Value("q", 0)
            self._stopped = mp_context.Event()

    def take(self) -> bool:
        if self._stopped.is_set():
            return False
        with self._started.get_lock():
            if 0 <= self._limit <= self._started.value:
                return False
            self._started.value += 1
            return True

    def close(self) -> None:
        """Let no worker start another trial (one of them failed, or ``Study.stop`` was called)."""
        self._stopped.set()


class _LocalCounter:
    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def get_lock(self) -> threading.Lock:
        return self._lock


class _Progress:
    """A one-line progress display on stderr (no dependency)."""

    def __init__(self, study: Study, total: int | None) -> None:
        self._study, self._total, self._done = study, total, 0
        self._lock = threading.Lock()

    def update(self) -> None:
        with self._lock:
            self._done += 1
            total = "?" if self._total is None else self._total
            try:
                best = f"{self._study.best_value:.6g}"
            except (ValueError, RuntimeError):
                best = "-"
            sys.stderr.write(f"\r[tunesmith] trial {self._done}/{total}  best value {best}")
            sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")


def _resolve_n_jobs(n_jobs: int) -> int:
    rule = "an int >= 1, or -1 for one per CPU"
    jobs = check_int(n_jobs, "n_jobs", low=-1, owner="optimize", rule=rule)
    if jobs == 0:
        raise ValueError(message("n_jobs", rule, n_jobs, "optimize"))
    return (os.cpu_count() or 1) if jobs == -1 else jobs


def _resolve_catch(catch: Any) -> tuple[type[Exception], ...]:
    items = catch if isinstance(catch, (tuple, list)) else (catch,)
    for c in items:
        if not (isinstance(c, type) and issubclass(c, Exception)):
            raise TypeError(
                f"optimize: `catch` must be an exception class or a tuple of them, but got "
                f"{catch!r}."
            )
    return tuple(items)
