"""Studies: ask / tell, and ``optimize`` as a thin loop over them."""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from . import _optimize
from ._checks import check_int_or_none, is_int
from ._errors import (
    ClaimConflictError,
    DuplicatedStudyError,
    MissingExtraError,
    SearchSpaceExhausted,
)
from ._heartbeat import Heartbeat
from ._table import MISSING, trial_table
from .pruners import BasePruner, MedianPruner, NopPruner
from .records import (
    Direction,
    FrozenTrial,
    StudySnapshot,
    TrialsReader,
    TrialState,
    as_directions,
    as_float_tuple,
    check_finished_record,
    create_trial,
    parse_values,
)
from .samplers import AutoSampler, BaseSampler, History
from .space import Distribution, Fixed, Space, UnionSpace, as_space, distributions_for
from .storages import BaseStorage, StudySummary, StudyView, get_storage
from .trial import Trial

if TYPE_CHECKING:
    import pandas

__all__ = [
    "Study",
    "create_study",
    "create_trial",
    "delete_study",
    "list_studies",
    "load_study",
]

_logger = logging.getLogger("tunesmith")
_TELL_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

Objective = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]


class Study(TrialsReader):
    """An optimization run: its trials, in a storage, and the sampler that proposes new ones.

    Create one with ``tunesmith.create_study`` or ``tunesmith.load_study``.

    A study keeps its trials in a ``tunesmith.storages.StudyView`` (read incrementally) and is a
    ``tunesmith.pruners.PruningContext``. Loops that run trials (``optimize`` in
    ``_optimize.py``, and executors) use three private members, their seam:
    ``with study._optimizing(stop):`` around the loop (``stop()`` then reaches it, and the
    cache is synced at the end), ``study._ask(space, count)`` to start trials, and
    ``study._finish(trial, state, values=..., error=...)`` to store how each ended (the
    objective's result parsed with ``tunesmith.records.parse_values``).

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(direction="minimize", seed=1)
        >>> study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=40)
        >>> round(study.best_params["x"])
        1
    """

    def __init__(
        self,
        *,
        storage: BaseStorage,
        study_name: str,
        sampler: BaseSampler,
        pruner: BasePruner | None = None,
    ) -> None:
        self._view = StudyView(storage, study_name)  # the cache of the trials, synced
        #: The cached trials in number order, as of the last sync (read under ``_lock``).
        self._trials = self._view.cached
        self._storage = storage
        self._id = self._view.study_id
        self.study_name = self._view.study_name
        self.directions: tuple[Direction, ...] = self._view.directions
        self.sampler = sampler
        self.pruner = _resolve_pruner(pruner, self.directions)
        self._lock = threading.RLock()
        self._waiting: set[int] = set()
        self._known: dict[str, Distribution] = {}  # first domain seen for each parameter name
        self._inferred: Space | None = None
        self._best: FrozenTrial | None = None
        self._n_constraints: int | None = None  # every trial must report as many
        self._heartbeat = Heartbeat(storage, self._id)  # for trials asked here, not finished
        self._stops: list[Callable[[], None]] = []  # of the running optimize calls, for stop()

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, directions={list(self.directions)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and deepcopy) as a new handle: on the same database for a SQL storage, on
        a copy of the trials for the in-memory one; its sampler and pruner come along."""
        return (_reopen, (self._storage, self.study_name, self.sampler, self.pruner))

    @property
    def storage(self) -> BaseStorage:
        return self._storage

    # -- cache -----------------------------------------------------------------------------------
    def _sync(self) -> None:
        """Bring the local cache up to date with what the storage changed since the last sync.

        The trials themselves live in the ``StudyView``; the study keeps what it derives from
        them (enqueued trials, the best one, the domains seen) up to date here.
        """
        changed, rebuilt = self._view.sync()
        if rebuilt:
            self._waiting, self._best = set(), None
        for t in changed:
            self._absorb(t)

    def _absorb(self, t: FrozenTrial) -> None:
        """Update what the study derives from its trials with a new or changed record."""
        n = t.number
        if t.state is TrialState.WAITING:
            self._waiting.add(n)
            return
        self._waiting.discard(n)
        if t.state.is_finished():
            self._heartbeat.stop(n)
        if t.constraints is not None and self._n_constraints is None:
            self._n_constraints = len(t.constraints)
        for name, dist in t.distributions.items():
            if name not in self._known and not isinstance(dist, Fixed):
                self._known[name] = dist
                self._inferred = None
        best = self._best
        if (
            t.state is TrialState.COMPLETE
            and t.values is not None
            and len(t.values) == 1
            and t.feasible
            and (
                best is None or best.values is None or self._is_better(t.values[0], best.values[0])
            )
        ):
            self._best = t

    def _is_better(self, a: float, b: float) -> bool:
        return a < b if self.directions[0] == "minimize" else a > b

    def _history(self) -> History:
        return History(self._trials, self.directions)

    def _inferred_space(self) -> Space:
        if self._inferred is None:
            self._inferred = Space(self._known)
        return self._inferred

    # -- reading ---------------------------------------------------------------------------------
    @property
    def trials(self) -> list[FrozenTrial]:
        """Every trial, in number order (synced with the storage)."""
        return self.get_trials()

    def get_trials(self, states: Iterable[TrialState] | None = None) -> list[FrozenTrial]:
        """Trials, optionally only those in ``states``."""
        with self._lock:
            self._sync()
            if states is None:
                return list(self._trials)
            wanted = frozenset(states)
            return [t for t in self._trials if t.state in wanted]

    @property
    def best_trial(self) -> FrozenTrial:
        """The best COMPLETE, feasible trial of a single-objective study."""
        if len(self.directions) != 1:
            raise RuntimeError(
                "best_trial is defined for one objective; this study has "
                f"{len(self.directions)}: use best_trials (the Pareto front)."
            )
        with self._lock:
            self._sync()
            if self._best is None:
                raise ValueError(
                    f"Study {self.study_name!r} has no complete feasible trial yet "
                    f"({len(self._trials)} trials in all)."
                )
            return self._best

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """COMPLETE feasible trials that no other such trial dominates (the Pareto front)."""
        done = [t for t in self.get_trials([TrialState.COMPLETE]) if t.feasible]
        if not done:
            return []
        signs = np.array([1.0 if d == "minimize" else -1.0 for d in self.directions])
        y = np.array([t.values for t in done], dtype=float) * signs
        keep = []
        for i in range(len(done)):
            dominated = np.all(y <= y[i], axis=1) & np.any(y < y[i], axis=1)
            if not dominated.any():
                keep.append(done[i])
        return keep

    def trials_dataframe(self) -> pandas.DataFrame:
        """One row per trial, the columns of ``tunesmith trials --format csv``.

        Columns: ``number``, ``state``, ``value`` for one objective (``values_0``, ``values_1``...
        for several), ``params_<name>`` and ``user_attrs_<name>`` (sorted names),
        ``datetime_start``, ``datetime_complete``, ``duration_s`` (seconds) and ``error``;
        missing entries (a parameter a trial did not use) are NaN / None.

        Needs the ``pandas`` extra.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise MissingExtraError(
                "trials_dataframe needs pandas: pip install 'tunesmith[pandas]'"
            ) from exc
        columns, rows = trial_table(self.trials, len(self.directions))
        cells = [[None if c is MISSING else c for c in row] for row in rows]
        return pd.DataFrame(cells, columns=columns)

    # -- ask -------------------------------------------------------------------------------------
    @overload
    def ask(self, space: Any = None, *, n: None = None) -> Trial: ...

    @overload
    def ask(self, space: Any = None, *, n: int) -> list[Trial]: ...

    def ask(self, space: Any = None, *, n: int | None = None) -> Trial | list[Trial]:
        """Start a trial (or ``n`` at once) and return it, RUNNING.

        Args:
            space: A declarative space (dict of name -> distribution, ``Space``, or list of dicts);
                the trial's ``params`` then hold a whole configuration. ``None`` for define-by-run:
                call ``trial.suggest_*``.
            n: Ask for ``n`` trials at once, proposed together so they differ; returns a list.

        Raises:
            SearchSpaceExhausted: The sampler has nothing left to propose.
            ValueError: An enqueued configuration does not fit ``space`` (that trial is stored
                FAIL with the reason).

        Example:
            >>> import tunesmith as ts
            >>> study = ts.create_study(seed=0)
            >>> trial = study.ask({"lr": ts.Float(1e-4, 1e-1, log=True), "layers": ts.Int(1, 4)})
            >>> sorted(trial.params)
            ['layers', 'lr']
            >>> _ = study.tell(trial, 0.5)
        """
        count = check_int_or_none(n, "n", low=1, owner="ask")
        resolved = None if space is None else as_space(space)
        trials = self._ask(resolved, 1 if count is None else count)
        return trials[0] if n is None else trials

    def _ask(self, space: Space | UnionSpace | None, count: int) -> list[Trial]:
        """Start ``count`` trials (enqueued ones first); the loops' way to ask (see the class)."""
        heartbeat = self._heartbeat.enabled
        with self._lock:
            self._sync()
            if heartbeat and self._heartbeat.reap():
                self._sync()
            out: list[Trial] = []
            while self._waiting and len(out) < count:
                waiting = self._storage.claim_waiting_trial(self._id, heartbeat=heartbeat)
                if waiting is None:
                    self._sync()
                    break
                self._waiting.discard(waiting.number)
                try:
                    out.append(self._start_enqueued(waiting, space))
                except ValueError as exc:  # stored FAIL with the reason
                    if not out:
                        raise
                    _logger.warning("Enqueued trial %d failed: %s", waiting.number, exc)
            if len(out) < count:
                history = self._history()
                target = space or self.sampler.fixed_space or self._inferred_space()
                left = self.sampler.remaining(history, target)  # may refuse the space: no trial yet
                wanted = count - len(out) if left is None else min(count - len(out), left)
                if wanted:
                    now = datetime.now(timezone.utc)
                    template = FrozenTrial(number=-1, state=TrialState.RUNNING, datetime_start=now)
                    numbers = self._storage.create_trials(
                        self._id, [template] * wanted, heartbeat=heartbeat
                    )
                    out.extend(self._start_new(numbers, target, history, now, space is not None))
            if not out:
                raise SearchSpaceExhausted("The sampler has no configuration left to try.")
            if heartbeat:
                self._heartbeat.start([t.number for t in out])
            return out

    def _start_new(
        self,
        numbers: list[int],
        target: Space | UnionSpace,
        history: History,
        now: datetime,
        declarative: bool,
    ) -> list[Trial]:
        """Propose for freshly created trials and store their proposals.

        A define-by-run trial's proposal is stored only for samplers that look at running
        trials (``uses_pending``): until it is told, the trial's stored ``params`` are what it
        was asked with, which is how workers in other processes avoid proposing the same point.
        """
        try:
            proposals = (
                self.sampler.propose(history, target, numbers)
                if target.n_dims or declarative
                else [{} for _ in numbers]
            )
        except SearchSpaceExhausted:
            proposals = []
        except Exception as exc:  # no trial may stay RUNNING without an owner
            for number in numbers:
                self._storage.update_trial(
                    self._id,
                    number,
                    state=TrialState.FAIL,
                    error=f"the sampler failed: {type(exc).__name__}: {exc}",
                )
            raise
        trials = []
        for i, number in enumerate(numbers):
            params = proposals[i] if i < len(proposals) else None
            write = declarative or (self.sampler.uses_pending and bool(params))
            params = self._store_proposal(number, params, target, write=write)
            if params is None:
                continue
            if declarative:
                trial = Trial(
                    self,
                    number,
                    params=params,
                    distributions=distributions_for(target, params),
                    datetime_start=now,
                )
            else:
                trial = Trial(self, number, proposal=params, datetime_start=now)
            trials.append(trial)
        return trials

    def _store_proposal(
        self,
        number: int,
        params: dict[str, Any] | None,
        space: Space | UnionSpace,
        *,
        write: bool,
    ) -> dict[str, Any] | None:
        """Write the proposal of a new trial (and its claim); re-propose when a claim is taken.

        Returns ``None`` (and fails the trial) when the sampler has nothing left.
        """
        while params is not None:
            claim = self.sampler.claim_of(params)
            if not write and claim is None:
                return params
            try:
                self._storage.update_trial(
                    self._id,
                    number,
                    params=params,
                    distributions=distributions_for(space, params),
                    claim=claim,
                )
                return params
            except ClaimConflictError:
                self._sync()
                try:
                    params = self.sampler.propose(self._history(), space, [number])[0]
                except SearchSpaceExhausted:
                    params = None
        self._storage.update_trial(
            self._id,
            number,
            state=TrialState.FAIL,
            error="search space exhausted: every configuration was taken before this trial",
        )
        return None

    def _start_enqueued(self, frozen: FrozenTrial, space: Space | UnionSpace | None) -> Trial:
        fixed = dict(frozen.params)
        if space is None:  # define-by-run: the domains of the fixed values come with suggest
            target = self.sampler.fixed_space or self._inferred_space()
            proposal = None
            if target.n_dims:
                proposal = self.sampler.propose(self._history(), target, [frozen.number])[0]
            return Trial(
                self,
                frozen.number,
                params=fixed,
                distributions=frozen.distributions,
                proposal=proposal,
                fixed=frozenset(fixed),
                user_attrs=frozen.user_attrs,
                datetime_start=frozen.datetime_start,
            )
        number = frozen.number
        try:
            params = space.complete(
                fixed,
                lambda sub: self.sampler.propose(self._history(), sub, [number])[0],
                lambda name, dist, so_far: self.sampler.sample_param(
                    self._history(), name, dist, number, so_far
                ),
            )
        except ValueError as exc:
            error = f"the enqueued parameters do not fit the space: {exc}"
            self._hold(
                self._storage.update_trial(self._id, number, state=TrialState.FAIL, error=error)
            )
            raise ValueError(f"Enqueued trial {number}: {error}") from None
        distributions = distributions_for(space, params)
        self._storage.update_trial(self._id, number, params=params, distributions=distributions)
        return Trial(
            self,
            number,
            params=params,
            distributions=distributions,
            user_attrs=frozen.user_attrs,
            datetime_start=frozen.datetime_start,
        )

    # -- the live trial's calls (see ``Trial``) --------------------------------------------------
    def _check_domain(self, name: str, dist: Distribution) -> None:
        """Refuse a domain other than the one earlier trials drew ``name`` from; learn a new one."""
        known = self._known.get(name)  # a name once known keeps its domain: no lock to read it
        if known is None:
            with self._lock:
                known = self._known.setdefault(name, dist)
                if known is dist:
                    self._inferred = None
                    return
        if known != dist:
            raise ValueError(
                f"Parameter {name!r} was drawn from {known!r} in earlier trials of study "
                f"{self.study_name!r}; it cannot be drawn from {dist!r} now (use a new name for a "
                "new domain)."
            )

    def _sample_param(
        self, name: str, dist: Distribution, number: int, params: Mapping[str, Any]
    ) -> Any:
        """A value for a define-by-run parameter that the trial's proposal does not cover."""
        with self._lock:
            return self.sampler.sample_param(self._history(), name, dist, number, params)

    def _report(self, number: int, intermediate: Mapping[int, float]) -> None:
        self._storage.update_trial(self._id, number, intermediate_values=intermediate)

    def _should_prune(self, trial: Trial) -> bool:
        """The pruner's verdict on the running ``trial``, against one snapshot of the trials."""
        if isinstance(self.pruner, NopPruner):  # no record to build, no sync
            return False
        with self._lock:
            self._sync()
            snapshot = StudySnapshot(self.study_name, self.directions, tuple(self._trials))
        return bool(self.pruner.prune(snapshot, trial._running_record()))

    # -- tell ------------------------------------------------------------------------------------
    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | np.ndarray[Any, Any] | None = None,
        *,
        state: TrialState | str | None = None,
        constraints: Sequence[float] | None = None,
    ) -> FrozenTrial:
        """Finish a trial with its objective value(s) and return the stored record.

        Args:
            trial: The trial from ``ask``, or its number (to tell from another process).
            values: One value, or one per objective. NaN, infinite or non-numeric values make the
                trial FAIL with the reason stored (and a logged warning).
            state: ``COMPLETE`` (default when values are given), ``PRUNED`` (values optional:
                the last reported value is kept) or ``FAIL``.
            constraints: Constraint values; the trial is feasible when all are ``<= 0``.

        Raises:
            ValueError: The number of values does not match the number of objectives, or the
                state is not one a trial can be told.
            TrialFinishedError: The trial is already finished.
        """
        resolved = _as_state(state)
        error = None
        vals: tuple[float, ...] | None = None
        if resolved is None:
            if values is None:
                raise ValueError("tell: give `values`, or `state` (PRUNED or FAIL), or both.")
            resolved = TrialState.COMPLETE
        m = len(self.directions)
        if resolved is TrialState.COMPLETE:
            vals, error = parse_values(values, m, self.study_name)
            if error is not None:
                _logger.warning("Trial %s failed: %s", _number_of(trial), error)
                resolved = TrialState.FAIL
        elif resolved is TrialState.PRUNED and values is not None:
            vals, error = parse_values(values, m, self.study_name)
            if error is not None:
                vals, error = None, None
        elif resolved is TrialState.FAIL:
            error = "told FAIL"
        return self._finish(trial, resolved, values=vals, error=error, constraints=constraints)

    def _finish(
        self,
        trial: Trial | int,
        state: TrialState,
        *,
        values: tuple[float, ...] | None = None,
        error: str | None = None,
        constraints: Sequence[float] | None = None,
    ) -> FrozenTrial:
        """Store the end of a trial; the loops' way to tell (see the class docstring)."""
        live = trial if isinstance(trial, Trial) else None
        if live is not None:
            if live.study is not self:
                raise ValueError(f"Trial {live.number} belongs to another study.")
            number = live.number
        elif not isinstance(trial, Trial) and is_int(trial):  # numpy integers too
            number = int(trial)
        else:
            raise TypeError(f"tell: `trial` must be a Trial or its number, but got {trial!r}.")
        fields: dict[str, Any] = live._final_fields(state) if live is not None else {}
        if constraints is not None:
            cons = as_float_tuple(constraints, "constraints")
            self._check_constraints(cons, number)
            fields["constraints"] = cons
        fields.update(state=state, values=values, error=error)
        if state is TrialState.PRUNED and values is None and len(self.directions) == 1:
            reported = live.intermediate_values if live is not None else self._reported(number)
            if reported and math.isfinite(last := reported[max(reported)]):
                fields["values"] = (last,)
        frozen = self._storage.update_trial(self._id, number, **fields)
        self._heartbeat.stop(number)
        if live is not None:
            live._close()
        with self._lock:
            if number < len(self._trials):
                self._hold(frozen)
        return frozen

    def _hold(self, record: FrozenTrial) -> None:
        """Take a record this study just wrote into the cache, before the next sync reads it."""
        with self._lock:
            self._view.put(record)
            self._absorb(record)

    def _check_constraints(self, constraints: tuple[float, ...], number: int) -> None:
        known = self._n_constraints
        if known is not None and len(constraints) != known:
            raise ValueError(
                f"Trial {number} reports {len(constraints)} constraint value(s), but earlier "
                f"trials of study {self.study_name!r} report {known}; every trial must report "
                "the same constraints."
            )

    def _reported(self, number: int) -> Mapping[int, float]:
        """Intermediate values stored for trial ``number`` (told by number, from anywhere)."""
        with self._lock:
            self._sync()
            known = 0 <= number < len(self._trials)
            return self._trials[number].intermediate_values if known else {}

    # -- adding trials from elsewhere ------------------------------------------------------------
    def enqueue_trial(
        self, params: Mapping[str, Any], *, user_attrs: Mapping[str, Any] | None = None
    ) -> int:
        """Queue a configuration to evaluate before the sampler's own proposals.

        Parameters the objective does not suggest are dropped (a FAIL trial keeps them); the
        ones it does must lie in the domain it suggests them from. With ``ask(space)`` a partial
        configuration is completed by the sampler. Returns the trial's number.

        Raises:
            ValueError: A value lies outside the domain earlier trials drew its parameter from.

        Example:
            >>> import tunesmith as ts
            >>> study = ts.create_study()
            >>> study.enqueue_trial({"x": 0.25})
            0
            >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
            >>> study.trials[0].params
            {'x': 0.25}
        """
        if not isinstance(params, Mapping):
            raise TypeError(f"enqueue_trial: `params` must be a dict, but got {params!r}.")
        with self._lock:
            self._sync()
            domains: dict[str, set[Distribution]] = {name: set() for name in params}
            for t in self._trials:
                for name, dist in t.distributions.items():
                    if name in domains and not isinstance(dist, Fixed):
                        domains[name].add(dist)
        dists: dict[str, Distribution] = {}
        for name, value in params.items():
            fits = [d for d in domains[name] if d.contains(value)]
            if domains[name] and not fits:
                raise ValueError(
                    f"enqueue_trial: parameter {name!r} = {value!r} is outside the domain earlier "
                    f"trials drew it from: {' or '.join(sorted(map(repr, domains[name])))}."
                )
            dists[name] = fits[0] if len(fits) == 1 else Fixed(value)
        template = FrozenTrial(
            number=-1,
            state=TrialState.WAITING,
            params=dict(params),
            distributions=dists,
            user_attrs=dict(user_attrs or {}),
        )
        number = self._storage.create_trials(self._id, [template])[0]
        with self._lock:
            self._sync()
        return number

    def add_trial(self, trial: FrozenTrial) -> int:
        """Import one finished evaluation (see ``add_trials``); returns its new number."""
        return self.add_trials([trial])[0]

    def add_trials(self, trials: Iterable[FrozenTrial]) -> list[int]:
        """Import finished evaluations done elsewhere (another study, a CSV of past runs).

        Build records with ``tunesmith.create_trial`` or take them from another study's
        ``trials``. They get new numbers in this study. Returns those numbers.
        """
        records = list(trials)
        for t in records:
            check_finished_record(t, len(self.directions), owner="add_trials")
        numbers = self._storage.create_trials(self._id, records)
        with self._lock:
            self._sync()
        return numbers

    # -- optimize --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask a running ``optimize`` to stop after the current trial (call it from a callback).

        Every worker of the call stops: threads, and processes too (the request is shared).
        """
        for stop in list(self._stops):
            stop()

    def optimize(  # noqa: PLR0917 - the positional order of Optuna's optimize
        self,
        objective: Objective,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: type[Exception] | tuple[type[Exception], ...] = (),
        callbacks: Iterable[Callback] = (),
        show_progress_bar: bool = False,
        *,
        space: Any = None,
    ) -> None:
        """Run ``objective`` on new trials until ``n_trials``, ``timeout`` or the space runs out.

        Args:
            objective: Called with a ``Trial``; returns a value (or one per objective). Raise
                ``tunesmith.TrialPruned`` to prune.
            n_trials: Number of trials to run (in all, across ``n_jobs``); ``None`` for no limit.
            timeout: Seconds after which no new trial starts.
            n_jobs: Workers running trials at once; ``-1`` for one per CPU. With a SQL storage
                the workers are processes (forked, so the objective needs no pickling); with the
                in-memory storage they are threads.
            catch: Exception types that fail the trial but let the study go on. Any other
                exception fails the trial, which is stored, and is then raised.
            callbacks: Each is called as ``callback(study, frozen_trial)`` after every trial
                (in the worker that ran it: with worker processes, in that process).
            show_progress_bar: Print the count of trials and the best value on stderr (not
                with worker processes).
            space: A declarative space: each trial then arrives with the whole configuration
                in ``trial.params`` (as from ``ask(space)``) instead of drawing it with
                ``suggest_*``.

        Failed trials always keep the reason in ``FrozenTrial.error``. Ctrl-C marks the running
        trial FAIL ("interrupted") and raises ``KeyboardInterrupt``; the study stays resumable.
        """
        _optimize.optimize(
            self,
            objective,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=callbacks,
            show_progress_bar=show_progress_bar,
            space=space,
        )

    @contextlib.contextmanager
    def _optimizing(self, stop: Callable[[], None]) -> Iterator[None]:
        """The block a loop over trials runs in (the loops' seam, see the class docstring).

        ``stop()`` calls ``stop`` while the block runs; when it ends, the cache is synced, so
        the study shows every trial the loop's workers finished.
        """
        self._stops.append(stop)
        try:
            yield
        finally:
            self._stops.remove(stop)
            with self._lock:
                self._sync()


def _reopen(
    storage: BaseStorage, study_name: str, sampler: BaseSampler, pruner: BasePruner
) -> Study:
    return Study(storage=storage, study_name=study_name, sampler=sampler, pruner=pruner)


def _number_of(trial: Trial | int) -> int:
    return trial.number if isinstance(trial, Trial) else int(trial)


def _as_state(state: TrialState | str | None) -> TrialState | None:
    if state is None:
        return None
    resolved = TrialState.__members__.get(state.upper()) if isinstance(state, str) else state
    if resolved is None or resolved not in _TELL_STATES:
        allowed = ", ".join(s.name for s in _TELL_STATES)
        raise ValueError(f"tell: `state` must be one of {allowed}, but got state={state!r}.")
    return resolved


def _default_sampler(sampler: BaseSampler | None, seed: int | None) -> BaseSampler:
    if sampler is None:
        return AutoSampler(seed=seed)
    if not isinstance(sampler, BaseSampler):
        raise TypeError(f"`sampler` must be a tunesmith sampler, but got {sampler!r}.")
    if seed is not None:
        raise ValueError(
            f"Give `seed` or `sampler`, not both: `seed` seeds the default sampler, so give it to "
            f"the sampler itself, but got sampler={sampler!r} and seed={seed!r}."
        )
    return sampler


def _resolve_pruner(pruner: BasePruner | None, directions: Sequence[str]) -> BasePruner:
    if pruner is None:
        return MedianPruner() if len(directions) == 1 else NopPruner()
    if not isinstance(pruner, BasePruner):
        raise TypeError(f"`pruner` must be a tunesmith pruner, but got {pruner!r}.")
    if len(directions) > 1 and not isinstance(pruner, NopPruner):
        raise ValueError(
            f"`pruner` must be NopPruner (or None) for a study with {len(directions)} "
            f"objectives, but got {pruner!r}: pruners rank one learning curve, and trials of "
            "several objectives trade them off against each other."
        )
    return pruner


def create_study(  # noqa: PLR0917 - the positional order of Optuna's create_study
    study_name: str | None = None,
    storage: str | BaseStorage | None = None,
    direction: Literal["minimize", "maximize"] | None = None,
    directions: Sequence[Literal["minimize", "maximize"]] | None = None,
    sampler: BaseSampler | None = None,
    seed: int | None = None,
    load_if_exists: bool = False,
    pruner: BasePruner | None = None,
) -> Study:
    """Create a study (or load it with ``load_if_exists=True``).

    Args:
        study_name: Unique name in the storage; a random one when ``None``.
        storage: ``None`` for in-memory, a URL (``"sqlite:///tunesmith.db"``,
            ``"postgresql+psycopg://user@host/db"``) or a storage object.
        direction: ``"minimize"`` (default) or ``"maximize"``.
        directions: One direction per objective, for several objectives.
        sampler: How configurations are proposed; default ``AutoSampler(seed=seed)``.
        seed: Seed of the default sampler.
        load_if_exists: Return the existing study of that name instead of failing.
        pruner: Stops unpromising trials early from their reports (``Trial.should_prune``);
            default ``MedianPruner()`` for one objective. A study with several objectives takes
            only ``NopPruner`` (its default): a learning curve of one value cannot rank trials
            that trade objectives off against each other.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(study_name="svm", direction="maximize")
        >>> study.direction
        'maximize'
    """
    dirs = as_directions(direction, directions)
    smp = _default_sampler(sampler, seed)
    _resolve_pruner(pruner, dirs)  # refuse a bad pruner before the study is created
    backend = get_storage(storage)
    if study_name is None:
        study_name = f"study-{uuid.uuid4().hex[:12]}"
    elif not isinstance(study_name, str) or not study_name:
        raise ValueError(f"`study_name` must be a non-empty string, but got {study_name!r}.")
    try:
        backend.create_study(study_name, dirs)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise DuplicatedStudyError(
                f"A study named {study_name!r} already exists in this storage; pass "
                "load_if_exists=True to resume it, or choose another name."
            ) from None
        existing = backend.get_study(study_name).directions
        if (direction is not None or directions is not None) and existing != dirs:
            raise ValueError(
                f"Study {study_name!r} exists with directions {list(existing)}, but "
                f"{list(dirs)} were given."
            ) from None
    return Study(storage=backend, study_name=study_name, sampler=smp, pruner=pruner)


def load_study(
    study_name: str,
    storage: str | BaseStorage,
    sampler: BaseSampler | None = None,
    seed: int | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Open an existing study; ``StudyNotFoundError`` lists the names that exist.

    Samplers and pruners are not stored with a study: give the ones it was created with.
    """
    smp = _default_sampler(sampler, seed)
    return Study(storage=get_storage(storage), study_name=study_name, sampler=smp, pruner=pruner)


def delete_study(study_name: str, storage: str | BaseStorage) -> None:
    """Delete a study and all its trials."""
    get_storage(storage).delete_study(study_name)


def list_studies(storage: str | BaseStorage) -> list[StudySummary]:
    """Name, directions, trial count and creation time of every study in ``storage``."""
    return get_storage(storage).list_studies()
