"""AutoSampler: the model-based sampler the benchmark shows best for the study at hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._checks import check_seed
from ..distributions import Distribution
from ..records import TrialState
from ..space import Space, UnionSpace
from ._base import BaseSampler, History
from ._gp import GPSampler
from ._tpe import TPESampler

#: Finished trials after which the GP's cost per trial (about 20 ms at 1,000 trials in 6
#: dimensions, growing with n) no longer pays for its edge, and TPE (a few ms) takes over.
GP_TRIAL_LIMIT = 1000


class AutoSampler(BaseSampler):
    """Pick the sampler for the study: a Gaussian process, then TPE for very long studies.

    The rule, from the benchmark in ``bench/bo`` (README, "Bayesian optimization"):

    * up to ``GP_TRIAL_LIMIT`` (1,000) finished trials: ``GPSampler``. On every problem family
      of the suite (2-3-dim and 4-8-dim synthetic functions, scikit-learn tuning with integer,
      categorical and conditional parameters) it has the best mean score of all samplers, ours
      and the competitors', at a median 16 ms per trial;
    * beyond: ``TPESampler``, whose cost stays at a few milliseconds per trial where the GP's
      keeps growing with the number of trials.

    Both are seeded with ``seed``, so a seeded study is reproducible.

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(sampler=ts.samplers.AutoSampler(seed=0))
        >>> study.optimize(lambda t: (t.params["x"] - 0.3) ** 2, n_trials=15,
        ...                space={"x": ts.Float(0, 1)})
        >>> abs(study.best_params["x"] - 0.3) < 0.05
        True
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self.seed = check_seed(seed, owner="AutoSampler")
        self._gp = GPSampler(seed=self.seed)
        self._tpe = TPESampler(seed=self.seed)

    def __repr__(self) -> str:
        return f"AutoSampler(seed={self.seed})"

    def _pick(self, history: History) -> BaseSampler:
        finished = sum(1 for t in history.trials if t.state is TrialState.COMPLETE)
        return self._gp if finished < GP_TRIAL_LIMIT else self._tpe

    def propose(
        self, history: History, space: Space | UnionSpace, numbers: Sequence[int]
    ) -> list[dict[str, Any]]:
        return self._pick(history).propose(history, space, numbers)

    def sample_param(
        self,
        history: History,
        name: str,
        distribution: Distribution,
        number: int,
        params: Mapping[str, Any],
    ) -> Any:
        return self._pick(history).sample_param(history, name, distribution, number, params)
