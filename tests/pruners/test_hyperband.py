"""HyperbandPruner: bracket layout and allocation, each bracket an ASHA of its own."""

from __future__ import annotations

import zlib
from collections import Counter

import pytest

import tunesmith as ts
from tunesmith.pruners import HyperbandPruner, SuccessiveHalvingPruner

from ._curves import decisions, finished, running, study_of


def bracket_counts(pruner: HyperbandPruner, study: ts.Study, n: int) -> Counter[int | None]:
    return Counter(pruner.bracket_of(study, k) for k in range(n))


def number_in(pruner: HyperbandPruner, study: ts.Study, bracket: int, start: int = 10_000) -> int:
    """The first trial number from ``start`` on that falls in ``bracket``."""
    k = start
    while pruner.bracket_of(study, k) != bracket:
        k += 1
    return k


@pytest.mark.parametrize(
    ("min_resource", "max_resource", "rf", "budgets"),
    [
        # n_s = ceil((S + 1) * rf ** (S - s) / (S - s + 1)), bracket s = min_early_stopping_rate
        (1, 27, 3, [27, 12, 6, 4]),
        (1, 26, 3, [9, 5, 3]),  # floor(log3(26)) = 2
        (1, 81, 3, [81, 34, 15, 8, 5]),
        (1, 1, 3, [1]),  # a single bracket: plain ASHA
        (2, 16, 2, [8, 6, 4, 4]),  # 2 * 2**3 = 16 <= 16: S = 3
        (4, 100, 5, [25, 8, 3]),  # 4 * 5**2 = 100 <= 100: S = 2
    ],
)
def test_budgets(min_resource: int, max_resource: int, rf: int, budgets: list[int]) -> None:
    pruner = HyperbandPruner(
        min_resource=min_resource, max_resource=max_resource, reduction_factor=rf
    )
    assert pruner._budgets(max_resource) == budgets
    study = study_of(study_name="layout")
    assert set(bracket_counts(pruner, study, 2000)) == set(range(len(budgets)))


@pytest.mark.parametrize("name", ["hb", "another study", "résumé"])
def test_allocation_follows_the_budgets(name: str) -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27)  # shares 27 : 12 : 6 : 4 of 49
    study = study_of(study_name=name)
    counts = bracket_counts(pruner, study, 4900)
    for bracket, expected in enumerate([2700, 1200, 600, 400]):
        assert abs(counts[bracket] - expected) < 0.15 * expected, counts


def test_allocation_is_deterministic_and_depends_on_the_study_name() -> None:
    def brackets(name: str) -> list[int | None]:
        pruner = HyperbandPruner(max_resource=27)  # a fresh pruner each time
        return [pruner.bracket_of(study_of(study_name=name), k) for k in range(50)]

    assert brackets("a") == brackets("a")
    assert brackets("a") != brackets("b")
    # The documented formula: crc32(f"{study_name}_{number}") mod 49 on blocks 27, 12, 6, 4.
    blocks = [0] * 27 + [1] * 12 + [2] * 6 + [3] * 4
    assert brackets("a") == [blocks[zlib.crc32(f"a_{k}".encode()) % 49] for k in range(50)]


def test_each_bracket_has_its_own_rungs() -> None:
    # min_resource=1, max_resource=27, rf=3: bracket s has rungs 3**s, 3**(s+1), ... Judged
    # against one trial of its bracket that is better at every step, a trial is pruned at the
    # first rung of its bracket.
    pruner = HyperbandPruner(min_resource=1, max_resource=27)
    for bracket, first_rung in enumerate([1, 3, 9, 27]):
        study = study_of(study_name="rungs")
        while pruner.bracket_of(study, len(study.trials)) != bracket:
            study.add_trial(finished([]))  # a trial with no curve: competes nowhere
        study.add_trial(finished([0.0] * 30))
        number = number_in(pruner, study, bracket)
        hits = [s for s, p in enumerate(decisions(pruner, study, [1.0] * 30, number)) if p]
        assert hits[0] == first_rung, bracket
        expected = SuccessiveHalvingPruner(min_resource=1, min_early_stopping_rate=bracket)
        assert hits == [s for s, p in enumerate(decisions(expected, study, [1.0] * 30)) if p]


def test_brackets_only_compare_within_themselves() -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27)
    study = study_of(study_name="apart")
    # Twenty great curves, all in brackets other than 0 (bracket-0 numbers get no curve).
    while len(study.trials) < 60:
        k = len(study.trials)
        study.add_trial(finished([] if pruner.bracket_of(study, k) == 0 else [0.0] * 10))
    n_great = sum(bool(t.intermediate_values) for t in study.trials)
    assert n_great >= 20
    bad = [9.0] * 10
    in_0 = number_in(pruner, study, 0)
    assert not any(decisions(pruner, study, bad, in_0))  # nobody to lose against
    # The same curve in bracket 1 loses against its bracket.
    assert any(decisions(pruner, study, bad, number_in(pruner, study, 1)))
    # One great curve in bracket 0 and the bad trial there is pruned at rung 1.
    while pruner.bracket_of(study, len(study.trials)) != 0:
        study.add_trial(finished([]))
    study.add_trial(finished([0.0] * 10))
    assert decisions(pruner, study, bad, in_0)[:2] == [False, True]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_direction(direction: str) -> None:
    pruner = HyperbandPruner(min_resource=1, max_resource=27)
    study = study_of(study_name="dir", direction=direction)
    while pruner.bracket_of(study, len(study.trials)) != 0:
        study.add_trial(finished([]))
    study.add_trial(finished([0.5, 0.5]))
    number = number_in(pruner, study, 0)
    assert pruner.prune(study, running([0.0, 0.4], number)) is (direction == "maximize")
    assert pruner.prune(study, running([0.0, 0.6], number)) is (direction == "minimize")


def test_auto_max_resource() -> None:
    pruner = HyperbandPruner()  # max_resource="auto"
    study = study_of([0.0] * 30, state=ts.TrialState.PRUNED, study_name="auto")
    assert pruner.bracket_of(study, 0) is None
    assert not any(decisions(pruner, study, [9.0] * 30, 0))  # no COMPLETE trial yet
    # The first COMPLETE trial reported steps 0..9: max_resource 9, brackets 0, 1, 2.
    study.add_trial(finished([0.0] * 10))
    assert set(bracket_counts(pruner, study, 1000)) == {0, 1, 2}
    bracket = pruner.bracket_of(study, 1)  # of the COMPLETE trial
    assert bracket is not None
    number = number_in(pruner, study, bracket)
    hits = [s for s, p in enumerate(decisions(pruner, study, [9.0] * 10, number)) if p]
    assert hits[0] == 3**bracket


def test_repr() -> None:
    assert repr(HyperbandPruner(max_resource=81)) == (
        "HyperbandPruner(min_resource=1, max_resource=81, reduction_factor=3)"
    )
    assert repr(HyperbandPruner()) == (
        "HyperbandPruner(min_resource=1, max_resource='auto', reduction_factor=3)"
    )
