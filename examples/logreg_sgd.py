"""Logistic regression in numpy, trained by mini-batch SGD or Adam, its training tuned by tunesmith.

Two kinds of numbers are at work here, and the example keeps them apart:

* **Parameters** -- the weights ``w`` and the bias ``b`` of the model
  ``P(y = 1 | x) = sigmoid(w . x + b)`` -- are *estimated from the training data* by gradient
  descent on the penalised log-loss. Nobody chooses them.
* **Hyperparameters** -- the optimizer (SGD or Adam), its learning rate, the mini-batch size and
  the L2 penalty strength -- are *chosen before training* and control how the parameters are
  estimated. tunesmith searches them, scoring each choice by the validation loss of the
  parameters it produced. (tunesmith calls a trial's hyperparameters ``trial.params``.)

Two kinds of stopping early:

* **Pruning** stops a *bad configuration*: every epoch the objective reports its validation loss
  (``trial.report``) and asks the study's pruner (``trial.should_prune``), which compares the
  curve with those of earlier trials and stops a trial that trails them.
* **Early stopping** stops a *good configuration* once it stops improving (``patience`` epochs
  without a better validation loss) and keeps the weights of its best epoch.

The data are scikit-learn's breast-cancer set (569 tumours, 30 features, binary) when
scikit-learn is installed, otherwise a synthetic set, so the example needs only numpy. They are
split 60/20/20 into train (estimates the parameters), validation (scores the hyperparameters)
and test (touched once, at the end, to report the accuracy of the chosen model).

Run:

    python examples/logreg_sgd.py [--trials 40] [--epochs 30] [--seed 0] [--dataset synthetic]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

import numpy as np

import tunesmith as ts

Array = np.ndarray[Any, np.dtype[np.float64]]

# The search space, as ranges for `trial.suggest_*` (see `objective`).
LEARNING_RATE = (1e-4, 0.3)  # log scale: SGD at 1e-4 barely moves in 30 epochs
L2 = (1e-6, 1e-1)  # log scale
BATCH_SIZES = (8, 16, 32, 64, 128)
PATIENCE = 5  # early-stopping patience in epochs; a fixed setting here, not tuned


# -- data ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Data:
    """Standardised features (``n x d``) and 0/1 labels (``n``) of the three splits."""

    name: str
    feature_names: list[str]
    true_weights: Array | None  # of the model that generated synthetic data; None for real data
    X_train: Array
    y_train: Array
    X_val: Array
    y_val: Array
    X_test: Array
    y_test: Array


def load_data(dataset: str = "auto", seed: int = 0) -> Data:
    """Load, split 60/20/20 and standardise a binary classification set.

    Args:
        dataset: ``"breast_cancer"`` (needs scikit-learn), ``"synthetic"`` (numpy only), or
            ``"auto"``: breast cancer when scikit-learn is installed, else synthetic.
        seed: Seed of the split (and of the synthetic data).
    """
    if dataset not in ("auto", "breast_cancer", "synthetic"):
        raise ValueError(
            f"`dataset` must be 'auto', 'breast_cancer' or 'synthetic', but got {dataset!r}."
        )
    rng = np.random.default_rng(seed)
    if dataset != "synthetic":
        try:
            from sklearn.datasets import load_breast_cancer
        except ImportError:
            if dataset == "breast_cancer":
                raise SystemExit(
                    "The breast-cancer data need scikit-learn: pip install 'tunesmith[sklearn]'"
                ) from None
        else:
            bunch = load_breast_cancer()
            X, y, names = bunch.data, bunch.target.astype(float), list(bunch.feature_names)
            return _split(f"breast cancer ({len(y)} tumours)", names, X, y, rng)
    X, y, w_true = _synthetic(rng)
    names = [f"x{j}" for j in range(X.shape[1])]
    return _split(f"synthetic ({len(y)} points)", names, X, y, rng, true_weights=w_true)


def _synthetic(rng: np.random.Generator, n: int = 600, d: int = 10) -> tuple[Array, Array, Array]:
    """Labels drawn from a known logistic model: 4 informative features out of ``d``.

    The model is defined on standard-normal features ``Z``; the data are ``X``, ``Z`` on
    unequal scales and offsets, so that standardising ``X`` recovers about ``Z`` and the
    estimated weights are comparable with the true ones.
    """
    Z = rng.normal(size=(n, d))
    w_true = np.zeros(d)
    w_true[:4] = [3.0, -2.0, 1.5, -1.0]
    y = (rng.random(n) < _sigmoid(Z @ w_true + 0.5)).astype(float)
    X = Z * rng.uniform(0.5, 50.0, size=d) + rng.uniform(-10.0, 10.0, size=d)
    return X, y, w_true


def _split(
    name: str,
    names: list[str],
    X: Array,
    y: Array,
    rng: np.random.Generator,
    *,
    true_weights: Array | None = None,
) -> Data:
    order = rng.permutation(len(y))
    n_train, n_val = int(0.6 * len(y)), int(0.2 * len(y))
    train, val, test = np.split(order, [n_train, n_train + n_val])
    # Statistics of the training split only: validation and test stay unseen.
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    std[std == 0] = 1.0
    Z = (X - mean) / std
    return Data(name, names, true_weights, Z[train], y[train], Z[val], y[val], Z[test], y[test])


# -- the model: its loss, gradient and predictions -----------------------------------------------
# The parameters live in one vector theta = (w_1, ..., w_d, b): the update rules below are then
# one line each. The bias is the last entry and is not penalised.
def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow


def log_loss(theta: Array, X: Array, y: Array) -> float:
    """Mean negative log-likelihood (no penalty): the validation loss."""
    z = X @ theta[:-1] + theta[-1]
    # -log sigmoid(z) = log(1 + e^-z) and -log(1 - sigmoid(z)) = log(1 + e^z), computed stably
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def gradient(theta: Array, X: Array, y: Array, l2: float) -> Array:
    """Gradient of ``log_loss + l2/2 * ||w||^2`` over the mini-batch ``(X, y)``.

    d/dw = X^T (p - y) / n + l2 * w and d/db = mean(p - y), where p = sigmoid(X w + b).
    """
    residual = _sigmoid(X @ theta[:-1] + theta[-1]) - y
    grad = np.empty_like(theta)
    grad[:-1] = X.T @ residual / len(y) + l2 * theta[:-1]
    grad[-1] = residual.mean()
    return grad


def accuracy(theta: Array, X: Array, y: Array) -> float:
    """Share of points on the right side of the decision boundary ``w . x + b = 0``."""
    return float(np.mean(((X @ theta[:-1] + theta[-1]) > 0) == (y == 1)))


# -- the two update rules ------------------------------------------------------------------------
class Optimizer(Protocol):
    def step(self, theta: Array, grad: Array) -> Array:
        """The parameters after one update from the mini-batch gradient ``grad``."""
        ...


class SGD:
    """Plain stochastic gradient descent: ``theta <- theta - lr * grad``."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, theta: Array, grad: Array) -> Array:
        return theta - self.lr * grad


class Adam:
    """Adam (Kingma & Ba, 2015, Algorithm 1): a step per coordinate, scaled by the running
    root mean square of its gradients, so one learning rate suits features of any scale."""

    def __init__(
        self, lr: float, size: int, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = np.zeros(size)  # first moment: running mean of the gradient
        self.v = np.zeros(size)  # second moment: running mean of its square
        self.t = 0

    def step(self, theta: Array, grad: Array) -> Array:
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad**2
        m_hat = self.m / (1 - self.beta1**self.t)  # the moments start at 0: undo that bias
        v_hat = self.v / (1 - self.beta2**self.t)
        return theta - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


# -- training ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fit:
    """What training estimated: ``theta`` of the best epoch, and when training stopped."""

    theta: Array
    val_loss: float
    best_epoch: int
    epochs_run: int


def train(
    data: Data,
    *,
    optimizer: str,
    lr: float,
    batch_size: int,
    l2: float,
    n_epochs: int,
    rng: np.random.Generator,
    on_epoch: Callable[[int, float], None] | None = None,
) -> Fit:
    """Estimate the parameters by mini-batch descent, with early stopping on validation loss.

    Args:
        data: The splits; only ``X_train`` / ``y_train`` move the parameters.
        optimizer, lr, batch_size, l2: The hyperparameters.
        n_epochs: Passes over the training data at most.
        rng: Shuffles the training data every epoch.
        on_epoch: Called with ``(epoch, validation loss)`` after each epoch (epochs count from
            1); the objective reports there, and may raise ``TrialPruned`` to stop.
    """
    X, y = data.X_train, data.y_train
    theta = np.zeros(X.shape[1] + 1)  # the loss is convex: zeros is as good a start as any
    rule: Optimizer = SGD(lr) if optimizer == "sgd" else Adam(lr, theta.size)
    best = Fit(theta, log_loss(theta, data.X_val, data.y_val), 0, 0)
    for epoch in range(1, n_epochs + 1):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            batch = order[start : start + batch_size]
            theta = rule.step(theta, gradient(theta, X[batch], y[batch], l2))
        val_loss = log_loss(theta, data.X_val, data.y_val)
        if on_epoch is not None:
            on_epoch(epoch, val_loss)
        if val_loss < best.val_loss:
            best = Fit(theta, val_loss, epoch, epoch)
        elif epoch - best.best_epoch >= PATIENCE:
            return Fit(best.theta, best.val_loss, best.best_epoch, epoch)
    return Fit(best.theta, best.val_loss, best.best_epoch, n_epochs)


# -- tuning --------------------------------------------------------------------------------------
def make_objective(data: Data, n_epochs: int, seed: int) -> Callable[[ts.Trial], float]:
    """The objective: draw hyperparameters, train, return the best validation loss."""

    def objective(trial: ts.Trial) -> float:
        # Hyperparameters: drawn by tunesmith, fixed during this trial's training.
        optimizer = trial.suggest_categorical("optimizer", ["sgd", "adam"])
        lr = trial.suggest_float("lr", *LEARNING_RATE, log=True)
        batch_size = trial.suggest_categorical("batch_size", list(BATCH_SIZES))
        l2 = trial.suggest_float("l2", *L2, log=True)

        def on_epoch(epoch: int, val_loss: float) -> None:
            trial.report(val_loss, step=epoch)  # step = epochs trained so far
            if trial.should_prune():
                raise ts.TrialPruned()  # stored PRUNED, with its curve

        fit = train(
            data,
            optimizer=optimizer,
            lr=lr,
            batch_size=batch_size,
            l2=l2,
            n_epochs=n_epochs,
            rng=np.random.default_rng([seed, trial.number]),  # reproducible per trial
            on_epoch=on_epoch,
        )
        # Parameters: estimated by training. Kept with the trial (JSON), next to the
        # hyperparameters that produced them, so the best model needs no retraining.
        trial.set_user_attr("theta", fit.theta.tolist())
        trial.set_user_attr("best_epoch", fit.best_epoch)
        trial.set_user_attr("epochs_run", fit.epochs_run)
        return fit.val_loss

    return objective


@dataclass(frozen=True)
class Result:
    """The study and the chosen model: its parameters and accuracies."""

    study: ts.Study
    weights: Array  # d
    bias: float
    val_accuracy: float
    test_accuracy: float
    baseline_accuracy: float  # always predicting the training set's majority class


def main(
    n_trials: int = 40,
    n_epochs: int = 30,
    *,
    seed: int = 0,
    dataset: str = "auto",
    n_startup_trials: int = 5,
    out: TextIO | None = None,
) -> Result:
    """Tune the training of the logistic regression, then report the chosen model.

    Args:
        n_trials: Configurations to try.
        n_epochs: Epochs per trial at most.
        seed: Seeds the split, the sampler and the mini-batch order: a run reproduces exactly.
        dataset: ``"auto"``, ``"breast_cancer"`` or ``"synthetic"`` (see ``load_data``).
        n_startup_trials: Trials the median pruner lets finish before it prunes any.
        out: Where to print (default standard output).
    """
    out = out or sys.stdout
    data = load_data(dataset, seed)
    n_train, d = data.X_train.shape
    print(
        f"Data: {data.name}, {d} features; {n_train} train / {len(data.y_val)} validation / "
        f"{len(data.y_test)} test",
        file=out,
    )
    pruner = ts.pruners.MedianPruner(n_startup_trials=n_startup_trials, n_warmup_steps=2)
    study = ts.create_study(direction="minimize", seed=seed, pruner=pruner)
    study.optimize(make_objective(data, n_epochs, seed), n_trials=n_trials)

    trials = study.trials
    pruned = study.get_trials([ts.TrialState.PRUNED])
    epochs = sum(len(t.intermediate_values) for t in trials)
    print(
        f"{len(trials)} trials: {len(trials) - len(pruned)} complete, {len(pruned)} pruned by "
        f"{type(pruner).__name__}; {epochs} of {len(trials) * n_epochs} epochs trained.",
        file=out,
    )
    best = study.best_trial
    theta = np.asarray(best.user_attrs["theta"])
    weights, bias = theta[:-1], float(theta[-1])
    result = Result(
        study=study,
        weights=weights,
        bias=bias,
        val_accuracy=accuracy(theta, data.X_val, data.y_val),
        test_accuracy=accuracy(theta, data.X_test, data.y_test),
        baseline_accuracy=float(np.mean(data.y_test == round(data.y_train.mean()))),
    )
    _print_model(result, best, data, out)
    return result


def _print_model(result: Result, best: ts.FrozenTrial, data: Data, out: TextIO) -> None:
    print(
        f"\nBest trial {best.number}: validation log-loss {best.value:.4f} at epoch "
        f"{best.user_attrs['best_epoch']} (trained {best.user_attrs['epochs_run']} epochs)",
        file=out,
    )
    print("Hyperparameters (searched by tunesmith, fixed while training):", file=out)
    for name, value in best.params.items():
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        print(f"  {name:<10} = {shown}", file=out)
    optimizer = "Adam" if best.params["optimizer"] == "adam" else "SGD"
    print(f"Parameters (estimated by {optimizer} from the training data):", file=out)
    print(f"  bias b     = {result.bias:+.3f}", file=out)
    print(f"  ||w||_2    = {np.linalg.norm(result.weights):.3f}", file=out)
    true = data.true_weights  # known for synthetic data only
    heading = f"  {'largest weights w_j':<28}{'estimated':>10}"
    print(heading + ("    true" if true is not None else ""), file=out)
    for j in np.argsort(-np.abs(result.weights))[:5]:
        line = f"    {data.feature_names[j]:<26}{result.weights[j]:>+10.3f}"
        print(line + (f"{true[j]:>+8.2f}" if true is not None else ""), file=out)
    print(
        f"Accuracy: validation {result.val_accuracy:.3f}, test {result.test_accuracy:.3f} "
        f"(majority-class baseline {result.baseline_accuracy:.3f})",
        file=out,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", choices=["auto", "breast_cancer", "synthetic"], default="auto")
    args = parser.parse_args()
    main(args.trials, args.epochs, seed=args.seed, dataset=args.dataset)
