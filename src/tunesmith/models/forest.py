"""Random-forest surrogate in the style of SMAC, and the local search that maximises its
acquisition.

Pure array code: points are rows of an ``n x d`` array in the unit cube, ``nan`` where a
conditional parameter is inactive. The forest (Hutter, Hoos & Leyton-Brown, "Sequential
model-based optimization for general algorithm configuration", LION 2011) bags scikit-learn
regression trees; its prediction is the mean over the trees and the variance by the law of total
variance, ``Var = mean_t(leaf variance) + var_t(leaf mean)``. Inactive dimensions are imputed with
``INACTIVE = -1``, outside ``[0, 1]``, so a tree can split on whether a parameter is active.

scikit-learn is the ``[sklearn]`` extra, imported when a forest is fitted.

Example:
    >>> import numpy as np
    >>> from tunesmith.models.forest import RandomForestSurrogate
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((30, 2))
    >>> forest = RandomForestSurrogate(seed=0).fit(X, (X[:, 0] - 0.3) ** 2)
    >>> mean, var = forest.predict(np.array([[0.3, 0.5], [0.9, 0.5]]))
    >>> bool(mean[0] < mean[1]), var.shape
    (True, (2,))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from .._errors import MissingExtraError

__all__ = [
    "INACTIVE",
    "RandomForestSurrogate",
    "impute_inactive",
    "local_search",
    "log_scale",
    "require_sklearn",
]

#: Value given to inactive (``nan``) dimensions before the trees see them.
INACTIVE = -1.0

_INSTALL = "pip install 'tunesmith[sklearn]'"


def require_sklearn() -> None:
    """Raise ``MissingExtraError`` (an ``ImportError``) unless scikit-learn can be imported.

    Cheap: looks the package up without importing it.
    """
    import importlib.util

    try:
        found = importlib.util.find_spec("sklearn") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingExtraError(f"The random-forest surrogate needs scikit-learn: {_INSTALL}.")


def _sklearn() -> tuple[Any, Any]:
    """``(sklearn, DecisionTreeRegressor)``, or ``MissingExtraError`` naming the extra."""
    try:
        import sklearn
        from sklearn.tree import DecisionTreeRegressor
    except ImportError as exc:
        raise MissingExtraError(
            f"The random-forest surrogate needs scikit-learn: {_INSTALL}."
        ) from exc
    return sklearn, DecisionTreeRegressor


def impute_inactive(X: np.ndarray) -> np.ndarray:
    """``X`` (``n x d``) as C-ordered float32 (the trees' input), ``nan`` -> ``INACTIVE``."""
    out = np.array(X, dtype=np.float32, order="C", copy=True, ndmin=2)
    out[np.isnan(out)] = INACTIVE
    return out


class RandomForestSurrogate:
    """Bagged regression trees that predict a mean and a variance, as SMAC's random forest.

    The defaults are those of SMAC's hyperparameter-optimisation facade: 10 trees grown until
    pure (``min_samples_split=2``, ``min_samples_leaf=1``), all features considered at each split,
    bootstrap samples, and random split thresholds (``splitter="random"``, as SMAC's port to
    scikit-learn; ``"best"`` gives Breiman's random forest).

    The trees are scikit-learn ``DecisionTreeRegressor`` s, bagged here rather than through
    ``RandomForestRegressor``, which spends ~1 ms per tree on parameter checks and joblib; the
    model is the same.

    Args:
        n_trees: Number of trees.
        min_samples_split: Fewest samples a node needs to be split.
        min_samples_leaf: Fewest samples in a leaf.
        max_features: Fraction of the features tried at each split.
        bootstrap: Fit each tree on a bootstrap sample (else on all the data).
        splitter: ``"random"`` or ``"best"`` split thresholds.
        seed: Seed of the bootstrap samples and the splits.

    Attributes:
        trees_: The fitted ``DecisionTreeRegressor`` s.
    """

    def __init__(
        self,
        *,
        n_trees: int = 10,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        max_features: float = 1.0,
        bootstrap: bool = True,
        splitter: Literal["random", "best"] = "random",
        seed: int | None = None,
    ) -> None:
        self.n_trees = n_trees
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.bootstrap = bootstrap
        self.splitter = splitter
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray) -> RandomForestSurrogate:
        """Fit to ``X`` (``n x d``, ``nan`` for inactive) and ``y`` (``n``); returns ``self``."""
        sklearn, tree_class = _sklearn()
        Xf = impute_inactive(X)
        yf = np.asarray(y, dtype=float).ravel()
        n = len(yf)
        if n == 0 or Xf.shape[0] != n:
            raise ValueError(f"fit: need n >= 1 rows of X and y alike, but got {X.shape}, {n}.")
        rng = np.random.default_rng(self.seed)
        state = np.random.RandomState(rng.integers(2**32, dtype=np.uint64))
        max_features = None if self.max_features >= 1.0 else float(self.max_features)
        trees = []
        # Parameter validation costs more than growing a small tree; the values are fixed above.
        with sklearn.config_context(skip_parameter_validation=True):
            for _ in range(self.n_trees):
                rows = rng.integers(0, n, n) if self.bootstrap else slice(None)
                tree = tree_class(
                    splitter=self.splitter,
                    min_samples_split=self.min_samples_split,
                    min_samples_leaf=self.min_samples_leaf,
                    max_features=max_features,
                    random_state=state,
                )
                trees.append(tree.fit(Xf[rows], yf[rows], check_input=False))
        self.trees_ = trees
        # Every tree's leaf means and variances (the squared-error impurity is the variance of
        # the node's samples), concatenated so one gather serves all trees.
        self._offsets = np.cumsum([0] + [t.tree_.node_count for t in trees[:-1]])
        self._means = np.concatenate([t.tree_.value[:, 0, 0] for t in trees])
        self._vars = np.concatenate([t.tree_.impurity for t in trees])
        spread = float(np.var(yf))
        self._var_floor = max(1e-10 * spread, 1e-100)
        return self

    def leaves(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the leaf that each point reaches in each tree, both ``t x n``."""
        Xf = impute_inactive(X)
        idx = np.stack(
            [t.tree_.apply(Xf) + o for t, o in zip(self.trees_, self._offsets, strict=True)]
        )
        return self._means[idx], self._vars[idx]

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and variance at ``X`` (``n x d``), both of shape ``n``.

        ``Var = mean_t(leaf variance) + var_t(leaf mean)``, floored at a tiny fraction of the
        variance of the training targets so that a standard deviation is never zero.
        """
        means, variances = self.leaves(X)
        mean = means.mean(axis=0)
        var = variances.mean(axis=0) + means.var(axis=0)
        return mean, np.maximum(var, self._var_floor)


def log_scale(y: np.ndarray) -> np.ndarray:
    """Order-preserving log transform of heavy-tailed objective values to minimise (SMAC's).

    ``log((y - floor) / (max(y) - floor))`` with ``floor = min(y) - (p5(y) - min(y))`` (minus a
    tiny margin), so the best value stays finite and values of any sign are accepted.
    """
    y = np.asarray(y, dtype=float)
    lo, hi = float(y.min()), float(y.max())
    floor = lo - (float(np.percentile(y, 5)) - lo)
    floor -= max(1e-10 * (hi - floor), 1e-300, abs(floor) * 1e-15)
    out: np.ndarray = np.log((y - floor) / (hi - floor))
    return out


def local_search(
    acquisition: Callable[[np.ndarray], np.ndarray],
    starts: np.ndarray,
    neighbours: Callable[[np.ndarray, int, np.random.Generator], np.ndarray],
    rng: np.random.Generator,
    *,
    n_neighbours: int = 16,
    max_steps: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """Hill-climb the acquisition from every start at once, as SMAC's local search.

    Each step draws ``n_neighbours`` neighbours of every unfinished point, evaluates them all in
    one batch and moves each point to its best neighbour if that one is strictly better; a point
    whose neighbours are all no better has converged.

    Args:
        acquisition: Values to maximise for an ``n x d`` batch of points, shape ``n``.
        starts: ``s x d`` starting points.
        neighbours: ``neighbours(points, k, rng)`` gives ``(p * k) x d`` points, the ``k``
            neighbours of each of the ``p`` points in a row.
        rng: Random generator passed to ``neighbours``.
        n_neighbours: Neighbours drawn per point and step.
        max_steps: Most steps.

    Returns:
        The ``s x d`` points reached and their acquisition values (shape ``s``).
    """
    current = np.array(starts, dtype=float, copy=True)
    values = np.asarray(acquisition(current), dtype=float)
    live = np.arange(len(current))
    for _ in range(max_steps):
        if not len(live):
            break
        cand = neighbours(current[live], n_neighbours, rng)
        cand_values = np.asarray(acquisition(cand), dtype=float).reshape(len(live), n_neighbours)
        best = np.argmax(cand_values, axis=1)
        best_values = cand_values[np.arange(len(live)), best]
        better = best_values > values[live]
        moved = live[better]
        current[moved] = cand.reshape(len(live), n_neighbours, -1)[better, best[better]]
        values[moved] = best_values[better]
        live = moved
    return current, values
