"""Benchmark problems: synthetic test functions and Bayesmark-style tuning of scikit-learn models.

Every problem is minimised over a declarative tunesmith space within a budget of evaluations.
Synthetic functions take their standard domains (Surjanovic & Bingham's Virtual Library of
Simulation Experiments) and broadcast over leading axes (``x`` is ``... x d``). The ML problems
score 3-fold cross-validation on datasets scikit-learn ships: classifiers the error rate,
regressors the MSE over the variance of the target. Every model has a fixed ``random_state``, so an
evaluation is a deterministic function of its parameters.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

import tunesmith as ts

__all__ = ["FAMILIES", "PROBLEMS", "Problem"]

FAMILIES = {
    "synthetic-2-3d": "2–3-dim synthetic",
    "synthetic-4-8d": "4–8-dim synthetic",
    "ml": "ML tuning",
}


@dataclass(frozen=True)
class Problem:
    """A function to minimise over ``space`` within ``budget`` evaluations.

    Attributes:
        optimum: The known minimum, or ``None`` (ML problems: the report takes the best value any
            run saw).
        function: The synthetic function on points ``... x d`` (``objective`` on one point).
        minimizer: A point where the synthetic function attains ``optimum``.
    """

    name: str
    family: str
    space: Mapping[str, Any]
    budget: int
    objective: Callable[[dict[str, Any]], float]
    optimum: float | None = None
    function: Callable[[np.ndarray], np.ndarray] | None = None
    minimizer: tuple[float, ...] | None = None


# -- synthetic functions (x: ... x d) ------------------------------------------------------------
def branin(x: np.ndarray) -> np.ndarray:
    x1, x2 = x[..., 0], x[..., 1]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    out: np.ndarray = (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * np.cos(x1) + 10
    return out


def six_hump_camel(x: np.ndarray) -> np.ndarray:
    x1, x2 = x[..., 0], x[..., 1]
    out: np.ndarray = (4 - 2.1 * x1**2 + x1**4 / 3) * x1**2 + x1 * x2 + (4 * x2**2 - 4) * x2**2
    return out


def log_goldstein_price(x: np.ndarray) -> np.ndarray:
    x1, x2 = x[..., 0], x[..., 1]
    a = 1 + (x1 + x2 + 1) ** 2 * (19 - 14 * x1 + 3 * x1**2 - 14 * x2 + 6 * x1 * x2 + 3 * x2**2)
    b = 30 + (2 * x1 - 3 * x2) ** 2 * (
        18 - 32 * x1 + 12 * x1**2 + 48 * x2 - 36 * x1 * x2 + 27 * x2**2
    )
    out: np.ndarray = np.log(a * b)
    return out


_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]]
)
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def _hartmann(a: np.ndarray, p: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    def f(x: np.ndarray) -> np.ndarray:
        inner = np.sum(a * (x[..., None, :] - p) ** 2, axis=-1)  # ... x 4
        out: np.ndarray = -np.sum(_H_ALPHA * np.exp(-inner), axis=-1)
        return out

    return f


def ackley(x: np.ndarray) -> np.ndarray:
    r = np.sqrt(np.mean(x**2, axis=-1))
    out: np.ndarray = (
        -20 * np.exp(-0.2 * r) - np.exp(np.mean(np.cos(2 * math.pi * x), axis=-1)) + 20 + math.e
    )
    return out


def rosenbrock(x: np.ndarray) -> np.ndarray:
    head, tail = x[..., :-1], x[..., 1:]
    out: np.ndarray = np.sum(100 * (tail - head**2) ** 2 + (head - 1) ** 2, axis=-1)
    return out


def levy(x: np.ndarray) -> np.ndarray:
    w = 1 + (x - 1) / 4
    head, last = w[..., :-1], w[..., -1]
    out: np.ndarray = (
        np.sin(math.pi * w[..., 0]) ** 2
        + np.sum((head - 1) ** 2 * (1 + 10 * np.sin(math.pi * head + 1) ** 2), axis=-1)
        + (last - 1) ** 2 * (1 + np.sin(2 * math.pi * last) ** 2)
    )
    return out


def styblinski_tang(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * np.sum(x**4 - 16 * x**2 + 5 * x, axis=-1)
    return out


def michalewicz(x: np.ndarray) -> np.ndarray:
    i = np.arange(1, x.shape[-1] + 1)
    out: np.ndarray = -np.sum(np.sin(x) * np.sin(i * x**2 / math.pi) ** 20, axis=-1)
    return out


def _synthetic(
    name: str,
    fn: Callable[[np.ndarray], np.ndarray],
    bounds: list[tuple[float, float]],
    budget: int,
    *,
    optimum: float,
    at: tuple[float, ...],
) -> Problem:
    names = [f"x{i}" for i in range(len(bounds))]

    def objective(params: dict[str, Any]) -> float:
        return float(fn(np.array([params[n] for n in names])))

    return Problem(
        name=name,
        family="synthetic-2-3d" if len(bounds) <= 3 else "synthetic-4-8d",
        space={n: ts.Float(lo, hi) for n, (lo, hi) in zip(names, bounds, strict=True)},
        budget=budget,
        objective=objective,
        optimum=optimum,
        function=fn,
        minimizer=at,
    )


_PI = math.pi
SYNTHETIC = [
    _synthetic(
        "branin", branin, [(-5, 10), (0, 15)], 40, optimum=0.397887357729739, at=(_PI, 2.275)
    ),
    _synthetic(
        "six-hump-camel", six_hump_camel, [(-3, 3), (-2, 2)], 40,
        optimum=-1.031628453489877, at=(0.0898420131003, -0.7126564030207),
    ),
    _synthetic(
        "goldstein-price-log", log_goldstein_price, [(-2, 2)] * 2, 40,
        optimum=math.log(3.0), at=(0.0, -1.0),
    ),
    _synthetic(
        "hartmann-3", _hartmann(_H3_A, _H3_P), [(0, 1)] * 3, 50,
        optimum=-3.862779787332663, at=(0.114588881225, 0.555648895474, 0.852546984217),
    ),
    _synthetic(
        "hartmann-6", _hartmann(_H6_A, _H6_P), [(0, 1)] * 6, 80,
        optimum=-3.322368011415515,
        at=(0.20168952, 0.15001069, 0.47687398, 0.27533243, 0.31165162, 0.65730054),
    ),
    _synthetic("ackley-5", ackley, [(-32.768, 32.768)] * 5, 80, optimum=0.0, at=(0.0,) * 5),
    _synthetic("rosenbrock-4", rosenbrock, [(-5, 10)] * 4, 60, optimum=0.0, at=(1.0,) * 4),
    _synthetic("levy-8", levy, [(-10, 10)] * 8, 100, optimum=0.0, at=(1.0,) * 8),
    _synthetic(
        "styblinski-tang-8", styblinski_tang, [(-5, 5)] * 8, 100,
        optimum=-39.16616570377142 * 8, at=(-2.903534027771177,) * 8,
    ),
    _synthetic(
        "michalewicz-5", michalewicz, [(0, _PI)] * 5, 80, optimum=-4.687658179088148,
        at=(2.202905519953, 1.570796326620, 1.284991570272, 1.923058469616, 1.720469772221),
    ),
]  # fmt: skip


# -- machine-learning tuning ---------------------------------------------------------------------
@cache
def _dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Standardised features (and target, for regression, so that MSE is MSE / variance)."""
    from sklearn import datasets

    loader = {
        "breast": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "diabetes": datasets.load_diabetes,
    }[name]
    x, y = loader(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    if name == "diabetes":
        y = (y - y.mean()) / y.std()
    return x, y


def _cv_loss(model: Any, data: str) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

    x, y = _dataset(data)
    regression = data == "diabetes"
    cv = (KFold if regression else StratifiedKFold)(n_splits=3, shuffle=True, random_state=0)
    scoring = "neg_mean_squared_error" if regression else "accuracy"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        score = float(np.mean(cross_val_score(model, x, y, cv=cv, scoring=scoring)))
    return -score if regression else 1.0 - score


def _svm(p: dict[str, Any]) -> float:
    from sklearn.svm import SVC

    # gamma and degree are conditional on the kernel; max_iter bounds the slow corners.
    model = SVC(
        C=p["C"],
        kernel=p["kernel"],
        gamma=p.get("gamma", "scale"),
        degree=p.get("degree", 3),
        coef0=1.0,
        max_iter=20_000,
    )
    return _cv_loss(model, "breast")


def _knn(p: dict[str, Any]) -> float:
    from sklearn.neighbors import KNeighborsClassifier

    return _cv_loss(KNeighborsClassifier(**p), "wine")


def _tree(p: dict[str, Any]) -> float:
    from sklearn.tree import DecisionTreeClassifier

    return _cv_loss(DecisionTreeClassifier(**p, random_state=0), "wine")


def _forest(p: dict[str, Any]) -> float:
    from sklearn.ensemble import RandomForestRegressor

    return _cv_loss(RandomForestRegressor(**p, random_state=0, n_jobs=1), "diabetes")


def _mlp(p: dict[str, Any]) -> float:
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(p["width"],) * p["layers"],
        alpha=p["alpha"],
        learning_rate_init=p["learning_rate_init"],
        batch_size=p["batch_size"],
        beta_1=p["beta_1"],
        solver="adam",
        max_iter=30,
        random_state=0,
    )
    return _cv_loss(model, "wine")


def _ada(p: dict[str, Any]) -> float:
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.tree import DecisionTreeClassifier

    model = AdaBoostClassifier(
        estimator=DecisionTreeClassifier(max_depth=p["max_depth"], random_state=0),
        n_estimators=p["n_estimators"],
        learning_rate=p["learning_rate"],
        random_state=0,
    )
    return _cv_loss(model, "wine")


def _lasso(p: dict[str, Any]) -> float:
    from sklearn.linear_model import Lasso

    return _cv_loss(Lasso(**p, random_state=0), "diabetes")


ML = [
    Problem(
        "svm-breast",
        "ml",
        {
            "C": ts.Float(1e-2, 1e3, log=True),
            "kernel": ts.Categorical(["linear", "rbf", "poly"]),
            "gamma": ts.Float(1e-4, 1.0, log=True).when(kernel=["rbf", "poly"]),
            "degree": ts.Int(2, 4).when(kernel="poly"),
        },
        50,
        _svm,
    ),
    Problem(
        "knn-wine",
        "ml",
        {
            "n_neighbors": ts.Int(1, 64, log=True),
            "weights": ts.Categorical(["uniform", "distance"]),
            "p": ts.Float(1.0, 4.0),
        },
        40,
        _knn,
    ),
    Problem(
        "tree-wine",
        "ml",
        {
            "max_depth": ts.Int(1, 16),
            "min_samples_split": ts.Float(0.01, 0.99, log=True),
            "min_samples_leaf": ts.Float(0.01, 0.49, log=True),
            "max_features": ts.Float(0.05, 1.0),
            "criterion": ts.Categorical(["gini", "entropy"]),
        },
        60,
        _tree,
    ),
    Problem(
        "forest-diabetes",
        "ml",
        {
            "n_estimators": ts.Int(4, 32, log=True),
            "max_depth": ts.Int(2, 16),
            "max_features": ts.Float(0.1, 1.0),
            "min_samples_leaf": ts.Int(1, 32, log=True),
            "bootstrap": ts.Categorical([True, False]),
            "max_samples": ts.Float(0.2, 1.0).when(bootstrap=True),
        },
        60,
        _forest,
    ),
    Problem(
        "mlp-adam-wine",
        "ml",
        {
            "layers": ts.Int(1, 3),
            "width": ts.Int(4, 64, log=True),
            "alpha": ts.Float(1e-6, 1e-1, log=True),
            "learning_rate_init": ts.Float(1e-4, 1e-1, log=True),
            "batch_size": ts.Int(16, 96, log=True),
            "beta_1": ts.Float(0.5, 0.99),
        },
        80,
        _mlp,
    ),
    Problem(
        "adaboost-wine",
        "ml",
        {
            "n_estimators": ts.Int(2, 32, log=True),
            "learning_rate": ts.Float(1e-3, 10.0, log=True),
            "max_depth": ts.Int(1, 3),
        },
        40,
        _ada,
    ),
    Problem(
        "lasso-diabetes",
        "ml",
        {
            "alpha": ts.Float(1e-5, 1.0, log=True),
            "fit_intercept": ts.Categorical([True, False]),
            "positive": ts.Categorical([True, False]),
            "selection": ts.Categorical(["cyclic", "random"]),
            "max_iter": ts.Int(10, 1000, log=True),
            "tol": ts.Float(1e-5, 1e-1, log=True),
        },
        40,
        _lasso,
    ),
]

PROBLEMS: dict[str, Problem] = {p.name: p for p in SYNTHETIC + ML}
