"""The storage contract every backend implements.

A storage keeps studies and their trials. It knows nothing of samplers or objectives. Every method
is safe to call from several threads, and for SQL backends from several processes and hosts.

Trials are addressed by ``(study_id, number)``. Numbers are assigned by the storage, gap-free and
unique per study. Each write to a trial gives it the study's next *version*; ``trials_since``
returns every trial changed after a version, which is how a study keeps its local cache in sync
without re-reading all trials.

Call order used by ``Study``:
    1. ``create_study`` / ``get_study`` once.
    2. Per ask: ``trials_since`` (sync), ``claim_waiting_trial`` (an enqueued trial, if any) or
       ``create_trials``, then ``update_trial(params=..., claim=...)`` for sampled parameters.
    3. While the objective runs: ``update_trial(intermediate_values=...)`` on reports and
       ``record_heartbeat`` from a background thread (when ``heartbeat_interval`` is set).
    4. Per tell: ``update_trial(state=..., values=..., ...)``; it refuses a finished trial.
    5. From time to time: ``fail_stale_trials`` turns RUNNING trials whose heartbeat stopped into
       FAIL.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..distributions import Distribution
from ..records import Direction, FrozenTrial, TrialState

STALE_TRIAL_ERROR = "heartbeat lost: the worker running this trial stopped (killed or crashed)"


@dataclass(frozen=True, slots=True)
class StudyInfo:
    """A study as the storage knows it."""

    study_id: int
    name: str
    directions: tuple[Direction, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StudySummary:
    """One line of ``list_studies``."""

    name: str
    directions: tuple[Direction, ...]
    n_trials: int
    created_at: datetime


class BaseStorage(ABC):
    """Where studies and trials live. See the module docstring for the call order.

    Attributes:
        heartbeat_interval: Seconds between heartbeats of a running trial, or ``None`` when the
            backend cannot outlive its process (in-memory) and needs none.
        grace_period: Seconds without a heartbeat after which a RUNNING trial is FAIL.
        shared_across_processes: Whether worker processes can share it.
    """

    heartbeat_interval: float | None = None
    grace_period: float | None = None
    #: True when several processes can share the storage (``optimize(n_jobs=k)`` then forks).
    shared_across_processes: bool = False

    # -- studies -------------------------------------------------------------------------------
    @abstractmethod
    def create_study(self, name: str, directions: Sequence[Direction]) -> StudyInfo:
        """Create a study; ``DuplicatedStudyError`` if the name is taken."""

    @abstractmethod
    def get_study(self, name: str) -> StudyInfo:
        """Look a study up; ``StudyNotFoundError`` (listing the names that exist) if absent."""

    @abstractmethod
    def list_studies(self) -> list[StudySummary]:
        """Every study, oldest first."""

    @abstractmethod
    def delete_study(self, name: str) -> None:
        """Delete a study and its trials; ``StudyNotFoundError`` if absent."""

    # -- trials --------------------------------------------------------------------------------
    @abstractmethod
    def create_trials(
        self, study_id: int, templates: Sequence[FrozenTrial], *, heartbeat: bool = False
    ) -> list[int]:
        """Insert trials and return their new numbers, in order.

        The templates' ``number`` is ignored; everything else is stored as given (a RUNNING
        template for ``ask``, WAITING for ``enqueue_trial``, finished ones for ``add_trials``).
        With ``heartbeat=True`` RUNNING trials start with a heartbeat, so they are failed if their
        process dies.
        """

    @abstractmethod
    def claim_waiting_trial(self, study_id: int, *, heartbeat: bool = False) -> FrozenTrial | None:
        """Atomically move the oldest WAITING trial to RUNNING and return it, or ``None``."""

    @abstractmethod
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
        """Change an unfinished trial and return its new record.

        Mappings replace the stored ones whole. A finished ``state`` also sets the end time.

        Raises:
            TrialFinishedError: The trial is already COMPLETE, PRUNED or FAIL.
            ClaimConflictError: Another trial of the study holds ``claim``; nothing changed.
        """

    @abstractmethod
    def trials_since(self, study_id: int, version: int) -> tuple[list[FrozenTrial], int]:
        """Trials written after ``version`` and the study's current version."""

    def record_heartbeat(self, study_id: int, numbers: Sequence[int]) -> None:  # noqa: B027
        """Mark the given RUNNING trials as alive now (no-op without heartbeats)."""

    def fail_stale_trials(self, study_id: int) -> list[int]:
        """Turn RUNNING trials whose heartbeat is older than ``grace_period`` into FAIL."""
        return []

    def close(self) -> None:  # noqa: B027
        """Release connections; the storage must not be used afterwards."""
