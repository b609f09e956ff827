"""tunesmith: hyperparameter optimization with durable studies and low overhead.

Example:
    >>> import tunesmith as ts
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -10, 10)
    ...     return (x - 2) ** 2
    >>> study = ts.create_study(seed=0)
    >>> study.optimize(objective, n_trials=50)
    >>> abs(study.best_params["x"] - 2) < 1
    True
"""

from __future__ import annotations

from typing import Any

from . import pruners, samplers, storages
from ._errors import (
    DuplicatedStudyError,
    MissingExtraError,
    SearchSpaceExhausted,
    StudyNotFoundError,
    TrialFinishedError,
    TrialPruned,
    TunesmithError,
)
from ._functional import OptimizeResult, maximize, minimize
from ._version import __version__
from .records import FrozenTrial, TrialState, create_trial
from .space import (
    Categorical,
    Conditional,
    Distribution,
    Float,
    Int,
    Scipy,
    Space,
    UnionSpace,
    as_distribution,
    as_space,
)
from .study import Study, create_study, delete_study, list_studies, load_study
from .trial import Trial


def __getattr__(name: str) -> Any:
    """``tunesmith.sklearn`` on first use, so that ``import tunesmith`` never imports sklearn."""
    if name == "sklearn":
        import importlib

        return importlib.import_module(".sklearn", __name__)
    raise AttributeError(f"module 'tunesmith' has no attribute {name!r}")


__all__ = [
    "Categorical",
    "Conditional",
    "Distribution",
    "DuplicatedStudyError",
    "Float",
    "FrozenTrial",
    "Int",
    "MissingExtraError",
    "OptimizeResult",
    "Scipy",
    "SearchSpaceExhausted",
    "Space",
    "Study",
    "StudyNotFoundError",
    "Trial",
    "TrialFinishedError",
    "TrialPruned",
    "TrialState",
    "TunesmithError",
    "UnionSpace",
    "__version__",
    "as_distribution",
    "as_space",
    "create_study",
    "create_trial",
    "delete_study",
    "list_studies",
    "load_study",
    "maximize",
    "minimize",
    "pruners",
    "samplers",
    "storages",
]
