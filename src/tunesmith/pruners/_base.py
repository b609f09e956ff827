"""The pruner contract: when a pruner is asked, and what it may look at."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol

from ..records import Direction, FrozenTrial

__all__ = ["BasePruner", "PruningContext"]


class PruningContext(Protocol):
    """What a pruner may read of a study: its name, its directions and its trials.

    ``Study`` is one (its ``trials`` syncs with the storage at every access), and so are
    ``tunesmith.storages.StudyView`` (built from a storage alone: a worker on another host) and
    ``tunesmith.records.StudySnapshot`` (the trials at one moment; ``Trial.should_prune`` hands
    the pruner one, so a decision reads the storage once).

    The three also have ``get_trials(states)`` and ``direction``, as a ``Study`` has them, so a
    pruner written against a ``Study`` keeps working; new pruners need only the members here.

    Attributes:
        study_name: The study's name (``HyperbandPruner`` hashes it into brackets).
        directions: One direction per objective; pruners read ``directions[0]``.
        trials: Every trial of the study in number order, finished and running, read-only.
    """

    @property
    def study_name(self) -> str: ...

    @property
    def directions(self) -> tuple[Direction, ...]: ...

    @property
    def trials(self) -> Sequence[FrozenTrial]: ...


class BasePruner(ABC):
    """Decides whether a running trial should stop early.

    Call order: the objective calls ``trial.report(value, step)`` and then
    ``trial.should_prune()``; the study brings its trials up to date with the storage once and
    calls ``prune(context, trial)``, where ``context`` is a ``PruningContext`` holding the
    study's trials at that moment (several workers on one storage share one learning-curve
    history) and ``trial`` a snapshot of the running trial (state RUNNING,
    ``intermediate_values`` holding every step reported so far).

    A pruner keeps no state between calls; its decision is a function of the context and the
    trial. Workers in other processes therefore decide alike, and a resumed study goes on where
    it stopped. Pruners assume a single objective: ``create_study`` refuses any pruner but
    ``NopPruner`` for a study with several.
    """

    @abstractmethod
    def prune(self, context: PruningContext, trial: FrozenTrial) -> bool:
        """Whether ``trial`` should stop now (it is then told PRUNED with its last value)."""
