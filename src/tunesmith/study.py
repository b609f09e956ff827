"""Studies: ask / tell, and ``optimize`` as a thin loop over them."""

from __future__ import annotations

import logging
import math
import numbers as _numbers
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from . import _optimize
from ._errors import ClaimConflictError, MissingExtraError, SearchSpaceExhausted, TrialFinishedError
from .pruners import BasePruner, MedianPruner, NopPruner
from .samplers import AutoSampler, BaseSampler, History
from .space import (
    Distribution,
    Fixed,
    Space,
    UnionSpace,
    as_distribution,
    as_space,
    distributions_for,
)
from .storages import BaseStorage, StudySummary, get_storage
from .storages._base import Direction
from .trial import FrozenTrial, Trial, TrialState, _as_float_tuple

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
_DIRECTIONS = ("minimize", "maximize")
_TELL_STATES = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

Objective = Callable[[Trial], Any]
Callback = Callable[["Study", FrozenTrial], None]


class Study:
    """An optimization run: its trials, in a storage, and the sampler that proposes new ones.

    Create one with ``tunesmith.create_study`` or ``tunesmith.load_study``.

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
        info = storage.get_study(study_name)
        self._storage = storage
        self._id = info.study_id
        self.study_name = info.name
        self.directions: tuple[Direction, ...] = info.directions
        self.sampler = sampler
        self.pruner = _resolve_pruner(pruner, self.directions)
        self._lock = threading.RLock()
        self._trials: list[FrozenTrial] = []
        self._version = 0
        self._waiting: set[int] = set()
        self._known: dict[str, Distribution] = {}  # first domain seen for each parameter name
        self._inferred: Space | None = None
        self._best: FrozenTrial | None = None
        self._n_constraints: int | None = None  # every trial must report as many
        self._beating: set[int] = set()  # trials asked here and not finished: they get heartbeats
        self._beat_thread: threading.Thread | None = None
        self._last_reap = 0.0
        self._budget: _optimize._Budget | None = None  # of the running optimize, for stop()

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, directions={list(self.directions)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle (and deepcopy) as a new handle: on the same database for a SQL storage, on
        a copy of the trials for the in-memory one; its sampler and pruner come along."""
        return (_reopen, (self._storage, self.study_name, self.sampler, self.pruner))

    @property
    def storage(self) -> BaseStorage:
        return self._storage

    @property
    def direction(self) -> Direction:
        """The direction of a single-objective study."""
        if len(self.directions) != 1:
            raise RuntimeError("This study has several objectives; use `directions`.")
        return self.directions[0]

    # -- cache -----------------------------------------------------------------------------------
    def _sync(self) -> None:
        """Bring the local cache up to date with what the storage changed since the last sync."""
        changed, version = self._storage.trials_since(self._id, self._version)
        if changed:
            changed.sort(key=lambda t: t.number)
            start = len(self._trials)
            new = [t.number for t in changed if t.number >= start]
            if new != list(range(start, start + len(new))):  # never expected; stay correct
                changed, version = self._storage.trials_since(self._id, 0)
                changed.sort(key=lambda t: t.number)
                self._trials, self._waiting, self._best = [], set(), None
            for t in changed:
                self._absorb(t)
        self._version = version

    def _absorb(self, t: FrozenTrial) -> None:
        n = t.number
        if n < len(self._trials):
            self._trials[n] = t
        else:
            self._trials.append(t)
        if t.state is TrialState.WAITING:
            self._waiting.add(n)
            return
        self._waiting.discard(n)
        if t.state.is_finished():
            self._beating.discard(n)
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
        """One row per trial: number, state, value(s), times, ``params_*``, ``user_attrs_*``, error.

        The value columns are ``value`` for one objective, ``values_0``, ``values_1``... for
        several; missing entries (a parameter a trial did not use) are NaN / None.

        Needs the ``pandas`` extra.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise MissingExtraError(
                "trials_dataframe needs pandas: pip install 'tunesmith[pandas]'"
            ) from exc
        m = len(self.directions)
        value_columns = ["value"] if m == 1 else [f"values_{i}" for i in range(m)]
        params: dict[str, None] = {}  # every name, in order of first appearance
        attrs: dict[str, None] = {}
        rows = []
        for t in self.trials:
            values = t.values if t.values is not None else (None,) * m
            row: dict[str, Any] = {"number": t.number, "state": t.state.name}
            row.update(zip(value_columns, values, strict=False))
            row["datetime_start"] = t.datetime_start
            row["datetime_complete"] = t.datetime_complete
            row["duration"] = t.duration
            row.update({f"params_{k}": v for k, v in t.params.items()})
            row.update({f"user_attrs_{k}": v for k, v in t.user_attrs.items()})
            row["error"] = t.error
            params.update(dict.fromkeys(t.params))
            attrs.update(dict.fromkeys(t.user_attrs))
            rows.append(row)
        columns = [
            "number",
            "state",
            *value_columns,
            "datetime_start",
            "datetime_complete",
            "duration",
            *(f"params_{k}" for k in params),
            *(f"user_attrs_{k}" for k in attrs),
            "error",
        ]
        return pd.DataFrame(rows, columns=columns)

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
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise ValueError(f"ask: `n` must be None or an int >= 1, but got n={n!r}.")
        resolved = None if space is None else as_space(space)
        trials = self._ask(resolved, 1 if n is None else n)
        return trials[0] if n is None else trials

    def _ask(self, space: Space | UnionSpace | None, count: int) -> list[Trial]:
        heartbeat = self._storage.heartbeat_interval is not None
        with self._lock:
            self._sync()
            self._maybe_fail_stale()
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
                self._beating.update(t.number for t in out)
                self._start_heartbeats()
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
            trial = Trial(self, number, datetime_start=now)
            if declarative:
                trial._params = params
                trial._distributions = distributions_for(target, params)
            else:
                trial._proposal = params
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
        trial = Trial(
            self,
            frozen.number,
            params=fixed,
            distributions=frozen.distributions,
            user_attrs=frozen.user_attrs,
            datetime_start=frozen.datetime_start,
            fixed=frozenset(fixed),
        )
        if space is None:
            target = self.sampler.fixed_space or self._inferred_space()
            if target.n_dims:
                trial._proposal = self.sampler.propose(self._history(), target, [frozen.number])[0]
            return trial
        try:
            params = self._complete_enqueued(fixed, space, frozen.number)
        except ValueError as exc:
            error = f"the enqueued parameters do not fit the space: {exc}"
            self._absorb(
                self._storage.update_trial(
                    self._id, frozen.number, state=TrialState.FAIL, error=error
                )
            )
            raise ValueError(f"Enqueued trial {frozen.number}: {error}") from None
        trial._params = params
        trial._distributions = distributions_for(space, params)
        trial._fixed = frozenset()
        self._storage.update_trial(
            self._id, frozen.number, params=params, distributions=trial._distributions
        )
        return trial

    def _complete_enqueued(
        self, fixed: dict[str, Any], space: Space | UnionSpace, number: int
    ) -> dict[str, Any]:
        """The enqueued values, completed by the sampler for the active parameters they lack."""
        try:
            space.validate(fixed)
            return fixed
        except ValueError:
            pass
        if isinstance(space, UnionSpace):
            errors = []
            for sub in space.spaces:
                if set(fixed) <= set(sub.names):
                    try:
                        return self._complete_enqueued(fixed, sub, number)
                    except ValueError as exc:
                        errors.append(str(exc))
            raise ValueError(
                f"{fixed!r} fits none of the {len(space.spaces)} sub-spaces"
                + (f" ({'; '.join(errors)})." if errors else ".")
            )
        for name, value in fixed.items():
            if name in space:
                space.distributions[name].validate(name, value)
        # Parents that the enqueued conditional parameters need, with their allowed values.
        needed: dict[str, tuple[Any, ...]] = {}
        todo = [n for n in fixed if n in space]
        while todo:
            for parent, allowed in space.conditions.get(todo.pop(), {}).items():
                if parent not in fixed and parent not in needed:
                    needed[parent] = allowed
                    todo.append(parent)
        proposal = self.sampler.propose(self._history(), space, [number])[0]
        params: dict[str, Any] = {}
        for name in space.names:
            if not space.is_active(name, params):
                continue
            if name in fixed:
                params[name] = fixed[name]
            elif name in needed and name in proposal and proposal[name] in needed[name]:
                params[name] = proposal[name]
            elif name in needed:  # the value an enqueued child parameter needs
                params[name] = needed[name][0]
            elif name in proposal:
                params[name] = proposal[name]
            else:  # the proposal chose another branch of a condition
                params[name] = self.sampler.sample_param(
                    self._history(), name, space.distributions[name], number, params
                )
        extra = set(fixed) - set(params)
        if extra:
            raise ValueError(
                f"Enqueued parameter(s) {sorted(extra)} are not active parameters of the space "
                f"{list(space.names)} given the other values {params!r}."
            )
        space.validate(params)
        return params

    def _suggest(self, trial: Trial, name: str, dist: Distribution) -> Any:
        known = self._known.get(name)
        if known is not None and known != dist:
            raise ValueError(
                f"Parameter {name!r} was drawn from {known!r} in earlier trials of study "
                f"{self.study_name!r}; it cannot be drawn from {dist!r} now (use a new name for a "
                "new domain)."
            )
        if known is None:
            self._known[name] = dist
            self._inferred = None
        if name in trial._fixed:
            value = trial._params[name]
            if not dist.contains(value):
                raise ValueError(f"Enqueued value {value!r} of {name!r} is not in {dist!r}.")
            return value
        proposal = trial._proposal
        if proposal is not None and name in proposal and dist.contains(proposal[name]):
            return proposal[name]
        with self._lock:
            return self.sampler.sample_param(
                self._history(), name, dist, trial.number, trial._params
            )

    def _report(self, trial: Trial) -> None:
        self._storage.update_trial(self._id, trial.number, intermediate_values=trial._intermediate)

    def _should_prune(self, trial: Trial) -> bool:
        if not trial._intermediate or isinstance(self.pruner, NopPruner):
            return False
        snapshot = FrozenTrial(
            number=trial.number,
            state=TrialState.RUNNING,
            params=trial._params,
            distributions=trial._distributions,
            user_attrs=trial.user_attrs,
            intermediate_values=trial._intermediate,
            datetime_start=trial.datetime_start,
        )
        return bool(self.pruner.prune(self, snapshot))

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
        if resolved is TrialState.COMPLETE:
            vals, error = self._check_values(values)
            if error is not None:
                _logger.warning("Trial %s failed: %s", _number_of(trial), error)
                resolved = TrialState.FAIL
        elif resolved is TrialState.PRUNED and values is not None:
            vals, error = self._check_values(values)
            if error is not None:
                vals, error = None, None
        elif resolved is TrialState.FAIL:
            error = "told FAIL"
        return self._finish(trial, resolved, vals, error, constraints)

    def _check_values(self, values: Any) -> tuple[tuple[float, ...] | None, str | None]:
        """Values as floats, or the reason they cannot be used (count errors raise)."""
        m = len(self.directions)
        if values is None:
            return None, "the objective returned None"
        if isinstance(values, np.ndarray):  # a 0-d array is one number
            values = values.tolist() if values.ndim else [values.item()]
        elif isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            values = [values]
        if len(values) != m:
            raise ValueError(
                f"Study {self.study_name!r} has {m} objective(s), so {m} value(s) are expected, "
                f"but got {len(values)}: {values!r}."
            )
        out = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, _numbers.Real):
                return None, f"the objective returned {v!r} ({type(v).__name__}), not a number"
            f = float(v)
            if not math.isfinite(f):
                return None, f"the objective returned {f}"
            out.append(f)
        return tuple(out), None

    def _finish(
        self,
        trial: Trial | int,
        state: TrialState,
        values: tuple[float, ...] | None,
        error: str | None,
        constraints: Sequence[float] | None,
    ) -> FrozenTrial:
        live = trial if isinstance(trial, Trial) else None
        if live is not None:
            if live._study is not self:
                raise ValueError(f"Trial {live.number} belongs to another study.")
            if live._finished:
                raise TrialFinishedError(f"Trial {live.number} is already finished.")
            number = live.number
        elif isinstance(trial, int) and not isinstance(trial, bool):
            number = trial
        else:
            raise TypeError(f"tell: `trial` must be a Trial or its number, but got {trial!r}.")
        cons = None
        if constraints is not None:
            cons = _as_float_tuple(constraints, "constraints")
            self._check_constraints(cons, number)
        fields: dict[str, Any] = {"state": state, "values": values, "error": error}
        if state is TrialState.PRUNED and values is None and len(self.directions) == 1:
            reported = live._intermediate if live is not None else self._reported(number)
            if reported and math.isfinite(last := reported[max(reported)]):
                fields["values"] = (last,)
        if live is not None:
            cons = cons if cons is not None else live._constraints
            # Enqueued values the objective never asked for are not part of a finished
            # configuration; a FAIL trial keeps them, to show what it was asked to evaluate.
            unused = live._fixed if state is not TrialState.FAIL else frozenset()
            fields["params"] = {k: v for k, v in live._params.items() if k not in unused}
            fields["distributions"] = {
                k: v for k, v in live._distributions.items() if k not in unused
            }
            if live.user_attrs:
                fields["user_attrs"] = live.user_attrs
        if cons is not None:
            fields["constraints"] = cons
        frozen = self._storage.update_trial(self._id, number, **fields)
        self._beating.discard(number)
        if live is not None:
            live._finished = True
        with self._lock:
            if number < len(self._trials):
                self._absorb(frozen)
        return frozen

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
            if not isinstance(t, FrozenTrial):
                raise TypeError(f"add_trials: expected FrozenTrial records, but got {t!r}.")
            if not t.state.is_finished():
                raise ValueError(
                    f"add_trials: only finished trials can be added, but trial {t.number} is "
                    f"{t.state.name}."
                )
            if t.state is TrialState.COMPLETE or t.values is not None:
                n = 0 if t.values is None else len(t.values)
                if n != len(self.directions):
                    raise ValueError(
                        f"add_trials: trial {t.number} has {n} value(s) but the study has "
                        f"{len(self.directions)} objective(s)."
                    )
            for name, value in t.params.items():
                dist = t.distributions.get(name)
                if dist is None:
                    raise ValueError(
                        f"add_trials: parameter {name!r} of trial {t.number} has no distribution; "
                        f"`distributions` covers {sorted(t.distributions)}."
                    )
                dist.validate(name, value)
        numbers = self._storage.create_trials(self._id, records)
        with self._lock:
            self._sync()
        return numbers

    # -- optimize --------------------------------------------------------------------------------
    def stop(self) -> None:
        """Ask a running ``optimize`` to stop after the current trial (call it from a callback).

        Every worker of the call stops: threads, and processes too (the request is shared).
        """
        budget = self._budget
        if budget is not None:
            budget.close()

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

    def _start_heartbeats(self) -> None:
        """Beat for this process's running trials from a daemon thread while there are any.

        Trials from ``ask`` beat too, so a trial whose process dies never stays RUNNING; a trial
        handed to another process to tell keeps beating as long as the asking process lives.
        """
        thread = self._beat_thread
        if thread is not None and thread.is_alive():  # after a fork, the parent's is not
            return
        thread = threading.Thread(target=self._beat, name="tunesmith-heartbeat", daemon=True)
        self._beat_thread = thread
        thread.start()

    def _beat(self) -> None:
        interval = self._storage.heartbeat_interval
        assert interval is not None
        while True:
            time.sleep(interval)
            with self._lock:
                running = list(self._beating)
                if not running:
                    self._beat_thread = None
                    return
            try:
                self._storage.record_heartbeat(self._id, running)
            except Exception:  # a missed beat is retried; the grace period covers it
                _logger.exception("Heartbeat of trials %s failed", running)

    def _maybe_fail_stale(self) -> None:
        grace = self._storage.grace_period
        if grace is None:
            return
        now = time.monotonic()
        if now - self._last_reap < min(grace, self._storage.heartbeat_interval or grace):
            return
        self._last_reap = now
        if self._storage.fail_stale_trials(self._id):
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


def _resolve_directions(
    direction: str | None, directions: Sequence[str] | None
) -> tuple[Direction, ...]:
    if direction is not None and directions is not None:
        raise ValueError(
            f"Give `direction` or `directions`, not both, but got direction={direction!r} and "
            f"directions={directions!r}."
        )
    if directions is None:
        directions = [direction or "minimize"]
    elif isinstance(directions, str) or not directions:
        raise ValueError(
            f"`directions` must be a non-empty list such as ['minimize', 'maximize'], but got "
            f"directions={directions!r}."
        )
    arg = "direction" if direction is not None else "directions"
    for d in directions:
        if d not in _DIRECTIONS:
            raise ValueError(f"`{arg}` must be 'minimize' or 'maximize', but got {d!r}.")
    return tuple(directions)  # type: ignore[arg-type]


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
    dirs = _resolve_directions(direction, directions)
    smp = _default_sampler(sampler, seed)
    _resolve_pruner(pruner, dirs)  # refuse a bad pruner before the study is created
    backend = get_storage(storage)
    if study_name is None:
        study_name = f"study-{uuid.uuid4().hex[:12]}"
    elif not isinstance(study_name, str) or not study_name:
        raise ValueError(f"`study_name` must be a non-empty string, but got {study_name!r}.")
    from ._errors import DuplicatedStudyError

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


def create_trial(
    *,
    params: Mapping[str, Any],
    distributions: Mapping[str, Any],
    value: float | None = None,
    values: Sequence[float] | None = None,
    state: TrialState = TrialState.COMPLETE,
    user_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
    constraints: Sequence[float] | None = None,
) -> FrozenTrial:
    """Build a finished trial record to import with ``Study.add_trial(s)``.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study()
        >>> study.add_trial(ts.create_trial(params={"x": 2.0},
        ...                                 distributions={"x": ts.Float(0, 5)}, value=4.0))
        0
        >>> study.best_params
        {'x': 2.0}
    """
    if value is not None and values is not None:
        raise ValueError("create_trial: give `value` or `values`, not both.")
    if not isinstance(state, TrialState) or not state.is_finished():
        raise ValueError(f"create_trial: `state` must be COMPLETE, PRUNED or FAIL, got {state!r}.")
    unknown = set(params) - set(distributions)
    if unknown:
        raise ValueError(
            f"create_trial: parameter(s) {sorted(unknown)} have no distribution; `distributions` "
            f"covers {sorted(distributions)}."
        )
    dists = {n: as_distribution(distributions[n], n) for n in params}
    for name, v in params.items():
        dists[name].validate(name, v)
    vals = None
    if value is not None or values is not None:
        vals = _as_float_tuple(value if value is not None else values, "values")
    if state is TrialState.COMPLETE and vals is None:
        raise ValueError("create_trial: a COMPLETE trial needs `value` or `values`.")
    now = datetime.now(timezone.utc)
    return FrozenTrial(
        number=-1,
        state=state,
        values=vals,
        params=dict(params),
        distributions=dists,
        user_attrs=dict(user_attrs or {}),
        intermediate_values=dict(intermediate_values or {}),
        constraints=None if constraints is None else _as_float_tuple(constraints, "constraints"),
        datetime_start=now,
        datetime_complete=now,
    )
