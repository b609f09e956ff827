"""scikit-learn's MLPClassifier tuned by ``TuneSearchCV``, trained epoch by epoch and pruned.

``TuneSearchCV`` is a drop-in for ``GridSearchCV`` / ``RandomizedSearchCV``. With
``early_stopping=True`` it trains every configuration one ``partial_fit`` pass (epoch) at a time
on each cross-validation fold, reports the mean validation score over the folds after each
epoch, and lets the study's pruner -- ``SuccessiveHalvingPruner`` by default -- stop the
configurations that fall behind. (This is not ``MLPClassifier(early_stopping=True)``, which
holds out part of the training data to stop *one* fit; here the search stops whole
configurations, judged on the cross-validation folds.)

The *hyperparameters* searched: the hidden layers, the L2 penalty ``alpha``, Adam's initial
learning rate and the mini-batch size. The *parameters* are what ``partial_fit`` estimates: the
network's weight matrices ``coefs_`` and bias vectors ``intercepts_``; after the search,
``best_estimator_`` holds those of the best configuration refitted on all the training data.

Data: scikit-learn's handwritten digits, 25% held out as a test set that the search never sees.
Pixels are divided by 16 (their maximum), a fixed scaling that needs no statistics of the data.
(A ``Pipeline`` with a scaler works too: its scaler is fitted on the first epoch's data, and the
network learns epoch by epoch.)

Needs scikit-learn: ``pip install "tunesmith[sklearn]"``.

Run:

    python examples/sklearn_mlp.py [--trials 30] [--epochs 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

import tunesmith as ts

try:
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    from tunesmith.sklearn import TuneSearchCV
except ImportError:
    raise SystemExit('This example needs scikit-learn: pip install "tunesmith[sklearn]"') from None

# Hyperparameters: the search space, in TuneSearchCV's param_space (scikit-learn names).
SPACE = {
    "hidden_layer_sizes": ts.Categorical([(32,), (64,), (128,), (64, 64)]),
    "alpha": ts.Float(1e-6, 1e-1, log=True),  # L2 penalty
    "learning_rate_init": ts.Float(1e-4, 1e-1, log=True),
    "batch_size": ts.Categorical([16, 32, 64, 128]),
}


@dataclass(frozen=True)
class Result:
    """The fitted search and the chosen network's scores."""

    search: Any  # TuneSearchCV (scikit-learn is untyped)
    test_accuracy: float
    baseline_accuracy: float  # always predicting the training set's most common digit


def main(
    n_trials: int = 30,
    n_epochs: int = 20,
    *,
    cv: int = 3,
    seed: int = 0,
    out: TextIO | None = None,
) -> Result:
    """Search, refit the best configuration, and report it.

    Args:
        n_trials: Configurations to try.
        n_epochs: ``max_epochs``: ``partial_fit`` passes of a configuration that is not pruned.
        cv: Cross-validation folds.
        seed: Seeds the test split, the sampler and the networks' initial weights.
        out: Where to print (default standard output).
    """
    out = out or sys.stdout
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, stratify=y, random_state=seed
    )
    print(
        f"Data: digits, {len(y_train)} training images ({cv}-fold cross-validation), "
        f"{len(y_test)} held out for the test",
        file=out,
    )
    search = TuneSearchCV(
        MLPClassifier(random_state=seed),
        SPACE,
        n_trials=n_trials,
        cv=cv,
        early_stopping=True,  # epoch by epoch, pruned by SuccessiveHalvingPruner
        max_epochs=n_epochs,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # partial_fit never "converges"; the search decides how long each network trains.
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)

    majority = np.bincount(y_train).argmax()
    result = Result(
        search=search,
        test_accuracy=float(search.score(X_test, y_test)),
        baseline_accuracy=float(np.mean(y_test == majority)),
    )
    _print_search(result, n_epochs, cv, out)
    return result


def _print_search(result: Result, n_epochs: int, cv: int, out: TextIO) -> None:
    search = result.search
    rows = search.cv_results_
    states = list(rows["state"])
    epochs = int(np.sum(rows["n_epochs"])) * cv  # every fold of a row trained its epochs
    print(
        f"{len(states)} configurations: {states.count('COMPLETE')} complete, "
        f"{states.count('PRUNED')} pruned; {epochs} of {len(states) * n_epochs * cv} fold-epochs "
        "trained.",
        file=out,
    )
    best_epochs = int(rows["n_epochs"][search.best_index_])
    print(f"\nBest: mean CV accuracy {search.best_score_:.4f} after {best_epochs} epochs", file=out)
    print("Hyperparameters (searched by TuneSearchCV):", file=out)
    for name, value in search.best_params_.items():
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        print(f"  {name:<18} = {shown}", file=out)
    model = search.best_estimator_
    total = sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_)
    print(
        f"Parameters (estimated by {best_epochs} epochs of Adam on all the training data): "
        f"{total:,} numbers",
        file=out,
    )
    for k, (w, b) in enumerate(zip(model.coefs_, model.intercepts_, strict=True)):
        shape = " x ".join(map(str, w.shape))
        print(
            f"  layer {k + 1}: coefs_ {shape:<9} norm {np.linalg.norm(w):7.3f}, "
            f"intercepts_ norm {np.linalg.norm(b):6.3f}",
            file=out,
        )
    print(
        f"Test accuracy {result.test_accuracy:.3f} (majority-class baseline "
        f"{result.baseline_accuracy:.3f})",
        file=out,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.trials, args.epochs, seed=args.seed)
