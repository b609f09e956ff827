"""The pruner that never prunes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._base import BasePruner

if TYPE_CHECKING:
    from ..study import Study
    from ..trial import FrozenTrial

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

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False

    def __repr__(self) -> str:
        return "NopPruner()"
