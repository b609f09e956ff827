"""In-memory storage: the default when no URL is given. Fast, thread-safe, gone with the process."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .._errors import ClaimConflictError, DuplicatedStudyError, StudyNotFoundError
from ..distributions import Distribution
from ..records import Direction, FrozenTrial, TrialState
from ._base import BaseStorage, StudyInfo, StudySummary
from ._common import check_updatable, finished_update


@dataclass
class _Study:
    info: StudyInfo
    trials: list[FrozenTrial] = field(default_factory=list)
    log: list[int] = field(default_factory=list)  # log[v - 1] = number written at version v
    claims: dict[str, int] = field(default_factory=dict)


class InMemoryStorage(BaseStorage):
    """Keeps everything in the process's memory.

    Example:
        >>> import tunesmith as ts
        >>> storage = ts.storages.InMemoryStorage()
        >>> study = ts.create_study(storage=storage, study_name="demo")
        >>> [s.name for s in storage.list_studies()]
        ['demo']
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[str, _Study] = {}
        self._by_id: dict[int, _Study] = {}
        self._next_id = 0

    def __getstate__(self) -> dict[str, Any]:
        # A copy (pickle, deepcopy) holds a snapshot of the studies and a lock of its own.
        with self._lock:
            state = dict(self.__dict__)
            state["_studies"] = {
                name: _Study(s.info, list(s.trials), list(s.log), dict(s.claims))
                for name, s in self._studies.items()
            }
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._by_id = {s.info.study_id: s for s in self._studies.values()}
        self._lock = threading.RLock()

    def create_study(self, name: str, directions: Sequence[Direction]) -> StudyInfo:
        with self._lock:
            if name in self._studies:
                raise DuplicatedStudyError(f"A study named {name!r} already exists.")
            info = StudyInfo(self._next_id, name, tuple(directions), datetime.now(timezone.utc))
            self._next_id += 1
            self._studies[name] = self._by_id[info.study_id] = _Study(info)
            return info

    def get_study(self, name: str) -> StudyInfo:
        with self._lock:
            study = self._studies.get(name)
            if study is None:
                raise StudyNotFoundError(name, self._studies)
            return study.info

    def list_studies(self) -> list[StudySummary]:
        with self._lock:
            return [
                StudySummary(s.info.name, s.info.directions, len(s.trials), s.info.created_at)
                for s in self._studies.values()
            ]

    def delete_study(self, name: str) -> None:
        with self._lock:
            study = self._studies.pop(name, None)
            if study is None:
                raise StudyNotFoundError(name, self._studies)
            del self._by_id[study.info.study_id]

    def _study(self, study_id: int) -> _Study:
        study = self._by_id.get(study_id)
        if study is None:
            raise KeyError(f"study_id={study_id} does not exist (was the study deleted?).")
        return study

    def _write(self, study: _Study, trial: FrozenTrial) -> None:
        if trial.number == len(study.trials):
            study.trials.append(trial)
        else:
            study.trials[trial.number] = trial
        study.log.append(trial.number)

    def create_trials(
        self, study_id: int, templates: Sequence[FrozenTrial], *, heartbeat: bool = False
    ) -> list[int]:
        with self._lock:
            study = self._study(study_id)
            numbers = []
            for template in templates:
                number = len(study.trials)
                self._write(study, template.with_changes(number=number))
                numbers.append(number)
            return numbers

    def claim_waiting_trial(self, study_id: int, *, heartbeat: bool = False) -> FrozenTrial | None:
        with self._lock:
            study = self._study(study_id)
            for trial in study.trials:
                if trial.state is TrialState.WAITING:
                    running = trial.with_changes(
                        state=TrialState.RUNNING, datetime_start=datetime.now(timezone.utc)
                    )
                    self._write(study, running)
                    return running
            return None

    def update_trial(
        self,
        study_id: int,
        number: int,
        *,
        state: TrialState | None = None,
        values: Sequence[float] | None = None,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        constraints: Sequence[float] | None = None,
        error: str | None = None,
        claim: str | None = None,
    ) -> FrozenTrial:
        with self._lock:
            study = self._study(study_id)
            if not 0 <= number < len(study.trials):
                raise KeyError(f"Trial {number} does not exist in study {study.info.name!r}.")
            trial = study.trials[number]
            check_updatable(trial)
            if claim is not None:
                holder = study.claims.get(claim)
                if holder is not None and holder != number:
                    raise ClaimConflictError(f"{claim!r} is held by trial {holder}.")
                study.claims[claim] = number
            changes: dict[str, Any] = {}
            if params is not None:
                changes["params"] = dict(params)
            if distributions is not None:
                changes["distributions"] = dict(distributions)
            if user_attrs is not None:
                changes["user_attrs"] = dict(user_attrs)
            if intermediate_values is not None:
                changes["intermediate_values"] = dict(intermediate_values)
            if constraints is not None:
                changes["constraints"] = tuple(constraints)
            if error is not None:
                changes["error"] = error
            if values is not None:  # also without a state change, as the SQL backend does
                changes["values"] = tuple(float(v) for v in values)
            if state is not None:
                changes.update(finished_update(state, values))
            updated = trial.with_changes(**changes)
            self._write(study, updated)
            return updated

    def trials_since(self, study_id: int, version: int) -> tuple[list[FrozenTrial], int]:
        with self._lock:
            study = self._study(study_id)
            log = study.log
            if version >= len(log):
                return [], len(log)
            trials = study.trials
            changed = sorted(set(log[version:]))
            return [trials[n] for n in changed], len(log)
