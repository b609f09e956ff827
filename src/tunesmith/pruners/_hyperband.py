"""Hyperband: several successive-halving brackets, from aggressive to cautious.

Li et al. 2018, "Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization"
(JMLR 18), Algorithm 1, run asynchronously: each bracket is an ASHA pruner (see
``_successive_halving``) and each trial is dealt to one bracket.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Literal

from .._checks import check_int, check_int_or_auto
from ..records import FrozenTrial
from ._base import BasePruner, PruningContext
from ._common import _first_complete_last_step, _sign
from ._successive_halving import _asha_prunes

__all__ = ["HyperbandPruner"]


class HyperbandPruner(BasePruner):
    """Hyperband: each trial runs in one of several successive-halving brackets.

    With ``R = max_resource / min_resource`` and ``eta = reduction_factor``, there are
    ``S + 1`` brackets ``s = 0..S``, ``S = floor(log_eta(R))`` (at least 0). Bracket ``s`` is a
    ``SuccessiveHalvingPruner(min_resource=min_resource, reduction_factor=eta,
    min_early_stopping_rate=s)``: its first rung is at step ``min_resource * eta ** s``, so
    bracket 0 prunes the earliest and bracket ``S`` gives every trial ``min_resource * eta **
    S`` steps. A trial is judged only against the trials of its own bracket.

    Trials are dealt to brackets as Hyperband allocates them: bracket ``s`` starts
    ``n_s = ceil((S + 1) * eta ** (S - s) / (S - s + 1))`` configurations (Algorithm 1, where
    ``s`` counts the other way), so it gets a share ``n_s / sum(n)`` of the trials. The bracket
    of trial number ``k`` is ``crc32(f"{study_name}_{k}") mod sum(n)`` mapped onto consecutive
    blocks of sizes ``n_0, n_1, ...``: every process agrees, and a trial keeps its bracket.
    (Name the study for a seeded run to reproduce: a default name is random.)
    ``bracket_of`` tells it. E.g. ``min_resource=1, max_resource=27, reduction_factor=3``:
    brackets 0..3 with ``n = 27, 12, 6, 4`` (55%, 24%, 12%, 8% of the trials).

    NaN and +-inf values count as the worst possible value.

    Args:
        min_resource: Step of the first rung of bracket 0, an int >= 1.
        max_resource: The last step a trial reaches when not pruned, an int >= ``min_resource``;
            or ``"auto"``: the largest step reported by the first COMPLETE trial (the earliest
            ``datetime_complete``). No pruning before such a trial exists.
        reduction_factor: ``eta``, an int >= 2.

    Example:
        >>> import tunesmith as ts
        >>> pruner = ts.pruners.HyperbandPruner(min_resource=1, max_resource=27)
        >>> study = ts.create_study(study_name="hb", pruner=pruner)
        >>> [pruner.bracket_of(study, number) for number in range(10)]
        [0, 1, 1, 0, 1, 0, 0, 1, 0, 1]
        >>> from collections import Counter  # shares near 27 : 12 : 6 : 4
        >>> sorted(Counter(pruner.bracket_of(study, n) for n in range(4900)).items())
        [(0, 2703), (1, 1199), (2, 594), (3, 404)]
    """

    def __init__(
        self,
        *,
        min_resource: int = 1,
        max_resource: int | Literal["auto"] = "auto",
        reduction_factor: int = 3,
    ) -> None:
        owner = "HyperbandPruner"
        self._min_resource = check_int(min_resource, "min_resource", low=1, owner=owner)
        low = self._min_resource
        rule = f"an int >= min_resource ({low})"
        self._max_resource = check_int_or_auto(
            max_resource, "max_resource", low=low, owner=owner, rule=rule
        )
        self._reduction_factor = check_int(reduction_factor, "reduction_factor", low=2, owner=owner)

    def __repr__(self) -> str:
        return (
            f"HyperbandPruner(min_resource={self._min_resource}, "
            f"max_resource={self._max_resource!r}, reduction_factor={self._reduction_factor})"
        )

    def bracket_of(self, context: PruningContext, number: int) -> int | None:
        """The bracket (``min_early_stopping_rate``) of trial ``number`` in ``context`` (a
        study), or ``None`` while ``max_resource="auto"`` is not known yet."""
        number = check_int(number, "number", low=0, owner="bracket_of")
        trials = context.trials if self._max_resource == "auto" else None
        max_resource = self._resolve_max_resource(trials)
        if max_resource is None:
            return None
        return _bracket(context.study_name, number, self._budgets(max_resource))

    def prune(self, context: PruningContext, trial: FrozenTrial) -> bool:
        if not trial.intermediate_values:
            return False
        trials: Sequence[FrozenTrial] | None = None
        if self._max_resource == "auto":
            trials = context.trials
        max_resource = self._resolve_max_resource(trials)
        if max_resource is None:
            return False
        budgets = self._budgets(max_resource)
        name = context.study_name
        bracket = _bracket(name, trial.number, budgets)

        def same_bracket() -> list[FrozenTrial]:
            pool = context.trials if trials is None else trials
            return [t for t in pool if _bracket(name, t.number, budgets) == bracket]

        return _asha_prunes(
            trial,
            same_bracket,
            sign=_sign(context.directions[0]),
            first_rung=self._min_resource * self._reduction_factor**bracket,
            reduction_factor=self._reduction_factor,
            bootstrap_count=0,
        )

    def _resolve_max_resource(self, trials: Sequence[FrozenTrial] | None) -> int | None:
        if self._max_resource != "auto":
            return self._max_resource
        assert trials is not None
        return _first_complete_last_step(trials)

    def _budgets(self, max_resource: int) -> list[int]:
        """``n_s`` of each bracket ``s = 0..S`` (see the class docstring)."""
        eta = self._reduction_factor
        top = 0  # S = floor(log_eta(max / min)), in integers to stay exact
        while self._min_resource * eta ** (top + 1) <= max_resource:
            top += 1
        n = top + 1
        return [-(-n * eta ** (top - s) // (top - s + 1)) for s in range(n)]


def _bracket(study_name: str, number: int, budgets: Sequence[int]) -> int:
    """Bracket of a trial: a hash of ``(study_name, number)`` on blocks sized ``budgets``."""
    n = zlib.crc32(f"{study_name}_{number}".encode()) % sum(budgets)
    for s, budget in enumerate(budgets):
        n -= budget
        if n < 0:
            return s
    raise AssertionError("unreachable: n < sum(budgets)")
