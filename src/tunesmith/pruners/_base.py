"""The pruner contract: when a pruner is asked, and what it may look at."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..study import Study
    from ..trial import FrozenTrial

__all__ = ["BasePruner"]


class BasePruner(ABC):
    """Decides whether a running trial should stop early.

    Call order: the objective calls ``trial.report(value, step)`` and then
    ``trial.should_prune()``; the study brings its trials up to date with the storage and calls
    ``prune(study, trial)``, where ``trial`` is a snapshot of the running trial (state RUNNING,
    ``intermediate_values`` holding every step reported so far). A pruner reads the other trials
    with ``study.get_trials(...)``, which come from the storage: several workers on one storage
    share one learning-curve history.

    A pruner keeps no state between calls; its decision is a function of the study and the
    trial. Workers in other processes therefore decide alike, and a resumed study goes on where
    it stopped. Pruners assume a single objective: ``create_study`` refuses any pruner but
    ``NopPruner`` for a study with several.
    """

    @abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` should stop now (it is then told PRUNED with its last value)."""
