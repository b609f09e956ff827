"""A PyTorch MLP classifier, trained epoch by epoch, tuned by tunesmith with successive halving.

Each trial draws the *hyperparameters* -- depth, width, dropout, Adam's learning rate and weight
decay, batch size -- and trains the network's *parameters* (its weight matrices and biases)
with Adam on the training split. After every epoch it reports the validation loss; the study's
``SuccessiveHalvingPruner`` (asynchronous successive halving, ASHA) lets a trial go on past
epochs 1, 3, 9, ... only if it is in the best third of the trials that got there, so most
configurations are stopped after an epoch or three and the budget goes to the promising ones.

The data are scikit-learn's handwritten digits (1,797 images of 8x8 pixels, 10 classes) when
scikit-learn is installed, else a synthetic set of 10 Gaussian clusters; split 60/20/20 into
train, validation (scores the hyperparameters) and test (scored once, at the end).

Needs PyTorch (CPU is plenty): ``pip install "tunesmith[torch]"``.

Run:

    python examples/torch_mlp.py [--trials 30] [--epochs 20] [--seed 0] [--dataset synthetic]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

import tunesmith as ts

try:
    import torch
    from torch import nn
except ImportError:  # the one extra this example needs
    raise SystemExit('This example needs PyTorch: pip install "tunesmith[torch]"') from None

Array = np.ndarray[Any, Any]


# -- data ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Data:
    """Standardised float32 features (``n x d``) and int64 class labels (``n``) of each split."""

    name: str
    n_classes: int
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


def load_data(dataset: str = "auto", seed: int = 0) -> Data:
    """Load, split 60/20/20 and standardise.

    Args:
        dataset: ``"digits"`` (needs scikit-learn), ``"synthetic"``, or ``"auto"``: digits
            when scikit-learn is installed, else synthetic.
        seed: Seed of the split (and of the synthetic data).
    """
    if dataset not in ("auto", "digits", "synthetic"):
        raise ValueError(f"`dataset` must be 'auto', 'digits' or 'synthetic', but got {dataset!r}.")
    rng = np.random.default_rng(seed)
    if dataset != "synthetic":
        try:
            from sklearn.datasets import load_digits
        except ImportError:
            if dataset == "digits":
                raise SystemExit(
                    "The digits data need scikit-learn: pip install 'tunesmith[sklearn]'"
                ) from None
        else:
            X, y = load_digits(return_X_y=True)
            return _split(f"digits ({len(y)} images of 8x8 pixels)", X, y, rng)
    # 10 overlapping Gaussian clusters in 20 dimensions: a linear model gets most of it.
    centers = rng.normal(scale=1.0, size=(10, 20))
    y = rng.integers(10, size=1500)
    X = centers[y] + rng.normal(size=(len(y), 20))
    return _split(f"synthetic ({len(y)} points, 10 clusters)", X, y, rng)


def _split(name: str, X: Array, y: Array, rng: np.random.Generator) -> Data:
    order = rng.permutation(len(y))
    n_train, n_val = int(0.6 * len(y)), int(0.2 * len(y))
    parts = np.split(order, [n_train, n_train + n_val])
    mean, std = X[parts[0]].mean(axis=0), X[parts[0]].std(axis=0)  # training split only
    std[std == 0] = 1.0  # digits has pixels that are always blank
    Z = torch.as_tensor((X - mean) / std, dtype=torch.float32)
    labels = torch.as_tensor(y, dtype=torch.int64)
    tensors = [t for idx in parts for t in (Z[idx], labels[idx])]
    return Data(name, int(y.max()) + 1, *tensors)


# -- model and training --------------------------------------------------------------------------
def build_mlp(n_in: int, n_out: int, *, n_layers: int, width: int, dropout: float) -> nn.Module:
    """``n_layers`` hidden layers of ``width`` ReLU units, each followed by dropout."""
    layers: list[nn.Module] = []
    for _ in range(n_layers):
        layers += [nn.Linear(n_in, width), nn.ReLU(), nn.Dropout(dropout)]
        n_in = width
    layers.append(nn.Linear(n_in, n_out))  # logits; the loss applies the softmax
    return nn.Sequential(*layers)


@torch.no_grad()
def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy, in evaluation mode (dropout off)."""
    model.eval()
    logits = model(X)
    loss = nn.functional.cross_entropy(logits, y).item()
    return loss, (logits.argmax(dim=1) == y).float().mean().item()


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Data,
    batch_size: int,
    generator: torch.Generator,
) -> None:
    """One pass over the training split in shuffled mini-batches."""
    model.train()
    order = torch.randperm(len(data.y_train), generator=generator)
    for batch in torch.split(order, batch_size):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(data.X_train[batch]), data.y_train[batch])
        loss.backward()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        optimizer.step()


# -- tuning --------------------------------------------------------------------------------------
def make_objective(
    data: Data, n_epochs: int, seed: int, trained: dict[int, nn.Module]
) -> Callable[[ts.Trial], float]:
    """The objective: draw hyperparameters, train, return the final validation loss.

    Each COMPLETE trial's trained network goes into ``trained`` (by trial number): its
    parameters are tensors, too large for the study's JSON attributes. A real run would
    ``torch.save(model.state_dict(), ...)`` a checkpoint per trial instead.
    """

    def objective(trial: ts.Trial) -> float:
        # Hyperparameters: they shape the network and the training, and stay fixed during it.
        n_layers = trial.suggest_int("n_layers", 1, 3)
        width = trial.suggest_int("width", 16, 256, log=True)
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        lr = trial.suggest_float("lr", 1e-4, 3e-2, log=True)
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        batch_size = trial.suggest_categorical("batch_size", [16, 32, 64, 128])

        torch.manual_seed(seed * 100_003 + trial.number)  # the initial weights, per trial
        generator = torch.Generator().manual_seed(seed * 100_003 + trial.number)
        n_in = data.X_train.shape[1]
        model = build_mlp(n_in, data.n_classes, n_layers=n_layers, width=width, dropout=dropout)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        val_loss = math.inf
        for epoch in range(1, n_epochs + 1):
            train_epoch(model, optimizer, data, batch_size, generator)
            val_loss, val_accuracy = evaluate(model, data.X_val, data.y_val)
            trial.report(val_loss, step=epoch)  # step = epochs trained so far: ASHA's resource
            if trial.should_prune():
                raise ts.TrialPruned()
        trial.set_user_attr("val_accuracy", val_accuracy)
        trained[trial.number] = model
        return val_loss

    return objective


@dataclass(frozen=True)
class Result:
    """The study and the chosen network."""

    study: ts.Study
    model: nn.Module
    val_accuracy: float
    test_accuracy: float
    baseline_accuracy: float  # always predicting the training split's most common class


def main(
    n_trials: int = 30,
    n_epochs: int = 20,
    *,
    seed: int = 0,
    dataset: str = "auto",
    out: TextIO | None = None,
) -> Result:
    """Tune the MLP's training with ASHA pruning, then report the chosen network.

    Args:
        n_trials: Configurations to try.
        n_epochs: Epochs of a trial that is never pruned.
        seed: Seeds the split, the sampler, the weights and the batches.
        dataset: ``"auto"``, ``"digits"`` or ``"synthetic"`` (see ``load_data``).
        out: Where to print (default standard output).
    """
    out = out or sys.stdout
    torch.set_num_threads(1)  # small matrices: threads cost more than they save
    data = load_data(dataset, seed)
    print(
        f"Data: {data.name}, {data.n_classes} classes; {len(data.y_train)} train / "
        f"{len(data.y_val)} validation / {len(data.y_test)} test",
        file=out,
    )
    pruner = ts.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    study = ts.create_study(direction="minimize", seed=seed, pruner=pruner)
    trained: dict[int, nn.Module] = {}
    study.optimize(make_objective(data, n_epochs, seed, trained), n_trials=n_trials)

    trials = study.trials
    pruned = study.get_trials([ts.TrialState.PRUNED])
    epochs = sum(len(t.intermediate_values) for t in trials)
    print(
        f"{len(trials)} trials: {len(trials) - len(pruned)} complete, {len(pruned)} pruned by "
        f"successive halving; {epochs} of {len(trials) * n_epochs} epochs trained.",
        file=out,
    )
    best = study.best_trial
    model = trained[best.number]
    majority = int(torch.bincount(data.y_train).argmax())
    result = Result(
        study=study,
        model=model,
        val_accuracy=evaluate(model, data.X_val, data.y_val)[1],
        test_accuracy=evaluate(model, data.X_test, data.y_test)[1],
        baseline_accuracy=(data.y_test == majority).float().mean().item(),
    )
    _print_model(result, best, out)
    return result


def _print_model(result: Result, best: ts.FrozenTrial, out: TextIO) -> None:
    print(f"\nBest trial {best.number}: validation cross-entropy {best.value:.4f}", file=out)
    print("Hyperparameters (searched by tunesmith):", file=out)
    for name, value in best.params.items():
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        print(f"  {name:<12} = {shown}", file=out)
    params = dict(result.model.named_parameters())
    total = sum(p.numel() for p in params.values())
    print(f"Parameters (estimated by Adam from the training data): {total:,} numbers", file=out)
    for name, tensor in params.items():
        shape = " x ".join(map(str, tensor.shape))
        print(f"  {name:<10} {shape:<9} norm {tensor.norm().item():7.3f}", file=out)
    print(
        f"Accuracy: validation {result.val_accuracy:.3f}, test {result.test_accuracy:.3f} "
        f"(majority-class baseline {result.baseline_accuracy:.3f})",
        file=out,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", choices=["auto", "digits", "synthetic"], default="auto")
    args = parser.parse_args()
    main(args.trials, args.epochs, seed=args.seed, dataset=args.dataset)
