"""The scripts in ``examples/`` run end to end on tiny budgets and tune something real.

Each example is imported by path and its ``main`` called with a few trials and epochs. The
setups are seeded (sampler, split, weights, batches), so which trials are pruned is the same on
every run; the assertions say why pruning must happen in each.
"""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import tunesmith as ts

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
COMPLETE, PRUNED = ts.TrialState.COMPLETE, ts.TrialState.PRUNED


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as module ``examples_<name>``."""
    module_name = f"examples_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while being defined
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def _states(study: ts.Study) -> list[ts.TrialState]:
    return [t.state for t in study.trials]


@pytest.mark.parametrize("dataset", ["synthetic", "breast_cancer"])
def test_logreg_sgd(dataset: str) -> None:
    if dataset == "breast_cancer":
        pytest.importorskip("sklearn")
    example = load_example("logreg_sgd")
    out = io.StringIO()
    result = example.main(8, 10, seed=0, dataset=dataset, n_startup_trials=2, out=out)

    # The median pruner may prune from the third trial on; eight log-uniform learning rates
    # over 3.5 decades always include some far behind the median.
    states = _states(result.study)
    assert len(states) == 8
    assert states.count(COMPLETE) >= 2 and states.count(PRUNED) >= 1
    assert set(states) == {COMPLETE, PRUNED}
    for t in result.study.get_trials([PRUNED]):
        assert 1 <= len(t.intermediate_values) < 10  # stopped before its last epoch

    data = example.load_data(dataset, 0)
    assert result.weights.shape == (data.X_train.shape[1],)
    assert isinstance(result.bias, float)
    assert np.isfinite(result.weights).all()
    # The chosen parameters are those stored with the best trial.
    stored = result.study.best_trial.user_attrs["theta"]
    assert stored == [*result.weights.tolist(), result.bias]
    assert result.test_accuracy >= result.baseline_accuracy + 0.2
    assert result.val_accuracy >= 0.85

    text = out.getvalue()
    assert "Hyperparameters" in text and "Parameters" in text and "test" in text
    for name in ("optimizer", "lr", "batch_size", "l2"):
        assert name in result.study.best_params


def test_logreg_recovers_the_true_weights() -> None:
    example = load_example("logreg_sgd")
    result = example.main(8, 10, seed=0, dataset="synthetic", n_startup_trials=2, out=io.StringIO())
    true = example.load_data("synthetic", 0).true_weights
    assert true is not None
    # The signs of the informative weights, and which weight is largest, are estimated right.
    assert (np.sign(result.weights[:4]) == np.sign(true[:4])).all()
    assert np.argmax(np.abs(result.weights)) == 0


def test_logreg_update_rules() -> None:
    example = load_example("logreg_sgd")
    rng = np.random.default_rng(0)
    X, y, theta = rng.normal(size=(20, 3)), (rng.random(20) < 0.5).astype(float), rng.normal(size=4)
    l2 = 0.1

    def penalised(t: np.ndarray) -> float:
        return float(example.log_loss(t, X, y) + l2 / 2 * np.sum(t[:-1] ** 2))

    eps = 1e-6
    numeric = [
        (penalised(theta + eps * e) - penalised(theta - eps * e)) / (2 * eps) for e in np.eye(4)
    ]
    grad = example.gradient(theta, X, y, l2)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(example.SGD(0.5).step(theta, grad), theta - 0.5 * grad)
    # Adam's first step moves every coordinate by about lr, whatever its gradient's scale.
    step = example.Adam(0.01, 4).step(theta, grad * np.array([1e-3, 1.0, 1e3, 1.0]))
    np.testing.assert_allclose(np.abs(step - theta), 0.01, rtol=1e-3)


def test_torch_mlp() -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    example = load_example("torch_mlp")
    threads = torch.get_num_threads()
    out = io.StringIO()
    try:
        result = example.main(6, 3, seed=0, dataset="digits", out=out)
    finally:
        torch.set_num_threads(threads)

    # Successive halving with rungs at epochs 1 and 3: trial 0 is alone at each rung and goes
    # on; a later trial goes on past epoch 1 only if it beats every earlier trial there.
    states = _states(result.study)
    assert states[0] is COMPLETE
    assert states.count(PRUNED) >= 1 and set(states) == {COMPLETE, PRUNED}
    for t in result.study.get_trials([PRUNED]):
        assert len(t.intermediate_values) < 3

    first = result.model[0]
    assert tuple(first.weight.shape) == (result.study.best_params["width"], 64)
    assert tuple(result.model[-1].weight.shape) == (10, result.study.best_params["width"])
    assert result.test_accuracy >= result.baseline_accuracy + 0.5
    assert "Parameters" in out.getvalue()


def test_sklearn_mlp() -> None:
    pytest.importorskip("sklearn")
    example = load_example("sklearn_mlp")
    out = io.StringIO()
    result = example.main(6, 3, cv=2, seed=0, out=out)

    # Successive halving (the default with early_stopping=True) prunes from the first COMPLETE
    # trial on; a later configuration goes on past epoch 1 only if it leads the trials there.
    search = result.search
    states = list(search.cv_results_["state"])
    assert states[0] == "COMPLETE"
    assert "PRUNED" in states and set(states) == {"COMPLETE", "PRUNED"}
    assert isinstance(search.study_.pruner, ts.pruners.SuccessiveHalvingPruner)

    hidden = search.best_params_["hidden_layer_sizes"]
    model = search.best_estimator_
    assert [w.shape for w in model.coefs_] == list(zip((64, *hidden), (*hidden, 10), strict=True))
    assert [b.shape for b in model.intercepts_] == [(n,) for n in (*hidden, 10)]
    assert result.test_accuracy >= result.baseline_accuracy + 0.5
    assert "Parameters" in out.getvalue()
