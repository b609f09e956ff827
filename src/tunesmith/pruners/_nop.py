"""The pruner that never prunes."""

from __future__ import annotations

from ..records import FrozenTrial
from ._base import BasePruner, PruningContext

__all__ = ["NopPruner"]


class NopPruner(BasePruner):
    """Never prunes: every trial runs to the end (learning curves are still recorded).

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(pruner=ts.pruners.NopPruner())
        >>> trial = study.ask()
        >>> trial.report(1.0, step=0)
        >>> trial.should_prune()
        False
    """

    def prune(self, context: PruningContext, trial: FrozenTrial) -> bool:
        return False

    def __repr__(self) -> str:
        return "NopPruner()"
