"""Search spaces: every distribution's map to and from the unit interval, spaces, specs, JSON."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import tunesmith as ts
from tunesmith.space import Distribution, Fixed, distribution_from_dict

PROPERTY = settings(max_examples=60, deadline=None)
UNIT = st.floats(0.0, 1.0)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type, recursively through tuples (1, 1.0 and True differ)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def choice_key(value: Any) -> Any:
    """What makes two choices the same choice: type and value (recursively for tuples)."""
    if isinstance(value, tuple):
        return (tuple, tuple(choice_key(v) for v in value))
    return (type(value), value)


# -- strategies -----------------------------------------------------------------------------------
MAGNITUDE = 1e12


@st.composite
def linear_floats(draw: st.DrawFn) -> ts.Float:
    a = draw(st.floats(-MAGNITUDE, MAGNITUDE))
    b = draw(st.floats(-MAGNITUDE, MAGNITUDE))
    return ts.Float(min(a, b), max(a, b))


@st.composite
def log_floats(draw: st.DrawFn) -> ts.Float:
    a = draw(st.floats(1e-12, MAGNITUDE))
    b = draw(st.floats(1e-12, MAGNITUDE))
    return ts.Float(min(a, b), max(a, b), log=True)


@st.composite
def step_floats(draw: st.DrawFn) -> ts.Float:
    low = draw(st.one_of(st.integers(-1000, 1000).map(lambda k: k / 8), st.floats(-1e6, 1e6)))
    step = draw(st.sampled_from([0.001, 0.01, 0.1, 0.2, 0.25, 0.3, 1.0, 2.5, 7.0]))
    n = draw(st.integers(0, 200))
    return ts.Float(low, low + n * step, step=step)


@st.composite
def plain_ints(draw: st.DrawFn) -> ts.Int:
    low = draw(st.integers(-(10**9), 10**9))
    step = draw(st.one_of(st.just(1), st.integers(1, 1000)))
    n = draw(st.integers(0, 10**6))
    return ts.Int(low, low + n * step, step=step)


@st.composite
def log_ints(draw: st.DrawFn) -> ts.Int:
    low = draw(st.integers(1, 10**6))
    return ts.Int(low, low + draw(st.integers(0, 10**9)), log=True)


atoms = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=5),
)
choice_values = st.one_of(atoms, st.tuples(atoms, atoms), st.tuples(atoms, st.tuples(atoms)))
categoricals = st.lists(choice_values, min_size=1, max_size=12, unique_by=choice_key).map(
    ts.Categorical
)

CONTINUOUS_SCIPY = [
    scipy.stats.norm(0, 1),
    scipy.stats.norm(-3, 0.5),
    scipy.stats.expon(scale=2),
    scipy.stats.beta(2, 5),
    scipy.stats.gamma(2),
    scipy.stats.lognorm(0.5),
    scipy.stats.t(3),
]
DISCRETE_SCIPY = [
    scipy.stats.poisson(3),
    scipy.stats.binom(10, 0.3),
    scipy.stats.geom(0.2),
    scipy.stats.nbinom(5, 0.5),
    scipy.stats.bernoulli(0.3),
]
continuous_scipy = st.sampled_from(CONTINUOUS_SCIPY).map(ts.Scipy)
discrete_scipy = st.sampled_from(DISCRETE_SCIPY).map(ts.Scipy)


def on_step_grid(dist: ts.Float, x: float) -> bool:
    assert dist.step is not None
    k = (x - dist.low) / dist.step
    return abs(k - round(k)) < 1e-6


# -- decode: domain, type, bounds -----------------------------------------------------------------
@PROPERTY
@given(st.one_of(linear_floats(), log_floats()), UNIT)
def test_float_decode_is_a_float_within_bounds(dist: ts.Float, u: float) -> None:
    x = dist.decode(u)
    assert type(x) is float
    assert dist.low <= x <= dist.high
    assert dist.contains(x)


@PROPERTY
@given(step_floats(), UNIT)
def test_stepped_float_decode_is_on_the_grid(dist: ts.Float, u: float) -> None:
    x = dist.decode(u)
    assert type(x) is float
    assert dist.low <= x <= dist.high
    assert on_step_grid(dist, x)
    assert dist.contains(x)
    assert x in dist.grid()  # type: ignore[operator]


@PROPERTY
@given(st.one_of(plain_ints(), log_ints()), UNIT)
def test_int_decode_is_an_int_on_the_step_grid(dist: ts.Int, u: float) -> None:
    x = dist.decode(u)
    assert type(x) is int
    assert dist.low <= x <= dist.high
    assert (x - dist.low) % dist.step == 0
    assert dist.contains(x)


@PROPERTY
@given(categoricals, UNIT)
def test_categorical_decode_is_one_of_the_choice_objects(dist: ts.Categorical, u: float) -> None:
    x = dist.decode(u)
    assert any(x is c for c in dist.choices)
    assert dist.contains(x)


@PROPERTY
@given(st.one_of(continuous_scipy, discrete_scipy), UNIT)
def test_scipy_decode_is_in_the_support_with_the_right_type(dist: ts.Scipy, u: float) -> None:
    x = dist.decode(u)
    discrete = isinstance(dist.frozen.dist, scipy.stats.rv_discrete)
    assert type(x) is (int if discrete else float)
    assert math.isfinite(x)
    lo, hi = dist.frozen.support()
    assert lo <= x <= hi
    assert dist.contains(x)


def test_decode_clips_u_outside_the_unit_interval() -> None:
    for dist in (
        ts.Float(-2, 3),
        ts.Int(0, 9),
        ts.Categorical(["a", "b"]),
        ts.Float(1, 8, log=True),
    ):
        assert dist.decode(-0.5) == dist.decode(0.0)
        assert dist.decode(1.5) == dist.decode(1.0)


# -- encode / round trip --------------------------------------------------------------------------
@PROPERTY
@given(st.one_of(linear_floats(), log_floats()), UNIT)
def test_float_round_trip_is_exact_for_decoded_values(dist: ts.Float, u: float) -> None:
    x = dist.decode(u)
    e = dist.encode(x)
    assert 0.0 <= e <= 1.0
    assert same(dist.decode(e), x)


@PROPERTY
@given(st.one_of(linear_floats(), log_floats()), UNIT)
def test_float_round_trip_of_any_value_in_range(dist: ts.Float, w: float) -> None:
    # Not every float of [low, high] is the image of a unit coordinate (there are fewer floats
    # near 0.5 than near 0), so a value comes back as the nearest one that is.
    v = float(min(max(dist.low + w * (dist.high - dist.low), dist.low), dist.high))
    e = dist.encode(v)
    assert 0.0 <= e <= 1.0
    back = dist.decode(e)
    assert type(back) is float
    scale = max(abs(dist.low), abs(dist.high))
    assert math.isclose(back, v, rel_tol=1e-12, abs_tol=1e-12 * scale)
    for bound in (dist.low, dist.high):
        assert same(dist.decode(dist.encode(bound)), bound)


@PROPERTY
@given(step_floats(), st.data())
def test_stepped_float_round_trip_is_exact_for_every_grid_value(
    dist: ts.Float, data: st.DataObject
) -> None:
    grid = dist.grid()
    assert grid is not None
    assert len(grid) == len(set(grid))
    assert grid == sorted(grid)
    k = data.draw(st.integers(0, len(grid) - 1))
    v = grid[k]
    assert dist.contains(v)
    assert 0.0 <= dist.encode(v) <= 1.0
    assert same(dist.decode(dist.encode(v)), v)
    # The same point computed the naive way (low + k * step) maps to that grid value.
    assert dist.step is not None
    naive = dist.low + k * dist.step
    assert same(dist.decode(dist.encode(naive)), v)


def test_stepped_float_values_are_the_decimal_ones() -> None:
    dist = ts.Float(0, 1, step=0.1)
    assert dist.grid() == [k / 10 for k in range(11)]  # 0.3, not 0.30000000000000004
    assert dist.decode(dist.encode(0.1 * 3)) == 0.3
    assert ts.Float(-1, 1, step=0.2).grid() == [k / 5 for k in range(-5, 6)]


@PROPERTY
@given(st.one_of(plain_ints(), log_ints()), st.data())
def test_int_round_trip_is_exact_for_every_value(dist: ts.Int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, (dist.high - dist.low) // dist.step))
    v = dist.low + k * dist.step
    e = dist.encode(v)
    assert 0.0 <= e <= 1.0
    assert same(dist.decode(e), v)
    assert same(dist.decode(dist.encode(np.int64(v))), v)  # numpy ints come back as int


@PROPERTY
@given(categoricals)
def test_categorical_round_trip_returns_each_choice_object(dist: ts.Categorical) -> None:
    for c in dist.choices:
        e = dist.encode(c)
        assert 0.0 <= e <= 1.0
        assert dist.decode(e) is c


def test_one_one_point_zero_and_true_are_distinct_choices() -> None:
    dist = ts.Categorical([1, 1.0, True, (1,), (1.0,), (True,)])
    assert len({dist.encode(c) for c in dist.choices}) == 6
    for c in dist.choices:
        assert dist.decode(dist.encode(c)) is c
    assert not dist.contains(np.float32(1.0))
    assert not dist.contains(2)


@PROPERTY
@given(discrete_scipy, UNIT)
def test_discrete_scipy_round_trip_is_exact(dist: ts.Scipy, u: float) -> None:
    x = dist.decode(u)
    e = dist.encode(x)
    assert 0.0 <= e <= 1.0
    assert same(dist.decode(e), x)


@PROPERTY
@given(continuous_scipy, UNIT)
def test_continuous_scipy_round_trip_is_close(dist: ts.Scipy, u: float) -> None:
    # ppf and cdf of a density are inverse only up to rounding.
    x = dist.decode(u)
    e = dist.encode(x)
    assert 0.0 <= e <= 1.0
    back = dist.decode(e)
    assert type(back) is float
    assert math.isclose(back, x, rel_tol=1e-10, abs_tol=1e-12)


# -- uniformity -----------------------------------------------------------------------------------
DISCRETE_DOMAINS = [
    ts.Int(0, 9),
    ts.Int(-7, 8, step=3),
    ts.Int(5, 5),
    ts.Float(0, 1, step=0.1),
    ts.Float(-2.5, 2.5, step=0.5),
    ts.Categorical([None, True, 1, 1.0, "a", (1, 2)]),
    ts.Categorical(["only"]),
]


@pytest.mark.parametrize("dist", DISCRETE_DOMAINS, ids=repr)
def test_a_uniform_grid_of_u_hits_every_value_equally_often(dist: Distribution) -> None:
    values = dist.grid()
    assert values is not None
    n, per_bin = len(values), 7
    total = n * per_bin
    counts = [0] * n
    for j in range(total):
        x = dist.decode((j + 0.5) / total)
        matches = [i for i, v in enumerate(values) if same(v, x)]
        assert len(matches) == 1
        counts[matches[0]] += 1
    assert counts == [per_bin] * n


@pytest.mark.parametrize("dist", DISCRETE_DOMAINS, ids=repr)
def test_every_value_owns_a_bin_of_width_one_over_n(dist: Distribution) -> None:
    values = dist.grid()
    assert values is not None
    n = len(values)
    for k, v in enumerate(values):
        for u in (k / n + 1e-9, (k + 0.5) / n, (k + 1) / n - 1e-9):
            assert same(dist.decode(u), v)
        assert dist.encode(v) == pytest.approx((k + 0.5) / n)


def test_log_int_bins_have_log_widths() -> None:
    dist = ts.Int(1, 20, log=True)
    total = 20_000
    counts = dict.fromkeys(range(1, 21), 0)
    for j in range(total):
        counts[dist.decode((j + 0.5) / total)] += 1
    span = math.log(21) - math.log(1)
    for k, c in counts.items():
        expected = total * (math.log(k + 1) - math.log(k)) / span
        assert abs(c - expected) <= 1  # a bin of width w holds w * total points, +-1


@PROPERTY
@given(log_floats(), UNIT)
def test_log_float_is_linear_in_log_space(dist: ts.Float, u: float) -> None:
    expected = math.log(dist.low) + u * (math.log(dist.high) - math.log(dist.low))
    assert math.log(dist.decode(u)) == pytest.approx(expected, rel=1e-9, abs=1e-9)


# -- bad input ------------------------------------------------------------------------------------
BAD = [
    (lambda: ts.Float(5, 1), ValueError, ["low <= high", "low=5", "high=1"]),
    (lambda: ts.Float(0, 1, log=True), ValueError, ["log=True", "low > 0", "low=0"]),
    (lambda: ts.Float(0, 1, step=0.3), ValueError, ["step", "divide", "step=0.3", "high=1"]),
    (lambda: ts.Float(1, 2, log=True, step=0.5), ValueError, ["step", "log=True", "step=0.5"]),
    (lambda: ts.Float(0, math.inf), ValueError, ["high", "finite", "inf"]),
    (lambda: ts.Float(-1e308, 1e308), ValueError, ["high - low", "finite", "1e+308"]),
    (lambda: ts.Float(0, 1, step=-0.5), ValueError, ["step", "> 0", "-0.5"]),
    (lambda: ts.Int(1.5, 3), ValueError, ["low", "integer", "1.5"]),  # type: ignore[arg-type]
    (lambda: ts.Int(0, 10, step=3), ValueError, ["step", "divide", "step=3", "high=10"]),
    (lambda: ts.Int(0, 10, log=True), ValueError, ["log=True", "low >= 1", "low=0"]),
    (lambda: ts.Int(1, 9, log=True, step=2), ValueError, ["log=True", "step=1", "step=2"]),
    (lambda: ts.Int(3, 1), ValueError, ["low <= high", "low=3", "high=1"]),
    (lambda: ts.Categorical([]), ValueError, ["choices", "empty", "[]"]),
    (lambda: ts.Categorical([1, 1]), ValueError, ["choices", "distinct", "1"]),
    (lambda: ts.Categorical("abc"), TypeError, ["choices", "list or tuple", "'abc'"]),
    (lambda: ts.Categorical([1.0, math.nan]), ValueError, ["choices", "nan"]),
    (
        lambda: ts.Space({"a": ts.Int(0, 1).when(b=1)}),
        ValueError,
        ["'a'", "conditional on 'b'", "not in the space"],
    ),
    (
        lambda: ts.Space({"a": [1, 2], "b": ts.Int(0, 1).when(a=3)}),
        ValueError,
        ["'b'", "a=3", "never take", "Categorical(choices=(1, 2))"],
    ),
    (
        lambda: ts.Space({"a": [1, 2], "b": ts.Int(0, 1).when(a=1.0)}),  # 1.0 is not the choice 1
        ValueError,
        ["a=1.0", "never take"],
    ),
    (
        lambda: ts.Space({"a": ts.Int(0, 1).when(b=1), "b": ts.Int(0, 1).when(a=1)}),
        ValueError,
        ["cycle", "a -> b -> a"],
    ),
    (lambda: ts.Space({"a": ts.Int(0, 1).when(a=1)}), ValueError, ["cycle", "a -> a"]),
    (lambda: ts.Space({"a": "abc"}), TypeError, ["'a'", "'abc'", "Float, Int, Categorical"]),
    (lambda: ts.as_space(42), TypeError, ["space", "42", "dict"]),
    (lambda: ts.Int(0, 1).when(), ValueError, ["when()", "parent"]),
]


@pytest.mark.parametrize(("make", "error", "fragments"), BAD, ids=[f[2][0] for f in BAD])
def test_bad_input_names_the_argument_the_value_and_the_rule(
    make: Any, error: type[Exception], fragments: list[str]
) -> None:
    with pytest.raises(error) as info:
        make()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message


def test_validate_names_the_parameter_and_the_rule() -> None:
    space = ts.Space({"k": ["a", "b"], "x": ts.Float(0, 1).when(k="b")})
    with pytest.raises(ValueError, match=r"Unknown parameter\(s\) \['zz'\]"):
        space.validate({"k": "a", "zz": 1})
    with pytest.raises(ValueError, match="'x' is active but missing"):
        space.validate({"k": "b"})
    with pytest.raises(ValueError, match="'x' is given but inactive"):
        space.validate({"k": "a", "x": 0.5})
    with pytest.raises(ValueError, match=r"'x': 2\.0 is not in Float"):
        space.validate({"k": "b", "x": 2.0})
    with pytest.raises(ValueError, match="'k'"):
        space.validate({"k": "c"})


# -- whole spaces with conditions -----------------------------------------------------------------
def conditional_space() -> ts.Space:
    return ts.Space(
        {
            "lr": ts.Float(1e-4, 1e-1, log=True),
            "ratio": ts.Float(0, 1, step=0.5),  # decodes to floats; conditions may use ints
            "kernel": ts.Categorical(["linear", "poly", "rbf", None]),
            "degree": ts.Int(2, 5).when(kernel="poly"),
            "coef": ts.Float(-1, 1).when(kernel="poly", degree=[3, 4]),  # a grandchild
            "gamma": ts.Float(1e-3, 1, log=True).when(kernel=["rbf", "poly"]),
            "none": ts.Int(0, 3).when(kernel=None),
            "half": ts.Categorical([True, False]).when(ratio=1),
            "level": ts.Int(1, 10, log=True).when(half=True),
        }
    )


@PROPERTY
@given(st.lists(UNIT, min_size=9, max_size=9))
def test_space_decode_gives_a_valid_configuration_of_active_params(u: list[float]) -> None:
    space = conditional_space()
    config = space.decode(u)
    space.validate(config)
    for name in space.names:
        assert (name in config) == space.is_active(name, config)
    assert ("degree" in config) == (config["kernel"] == "poly")
    assert ("coef" in config) == (config.get("degree") in (3, 4))
    assert ("half" in config) == (config["ratio"] == 1.0)
    assert ("level" in config) == (config.get("half") is True)
    encoded = space.encode(config)
    assert encoded.shape == (space.n_dims,)
    for i, name in enumerate(space.names):
        assert math.isnan(encoded[i]) == (name not in config)
        if name in config:
            assert 0.0 <= encoded[i] <= 1.0
    back = space.decode(encoded)
    assert back.keys() == config.keys()
    for name, value in config.items():
        assert same(back[name], value)


def test_conditions_on_numbers_compare_by_value() -> None:
    # A Float parent decodes to 1.0; a condition written with the int 1 (or a numpy int for an
    # Int parent) must still hold.
    space = ts.Space({"x": ts.Float(0, 1, step=0.5), "y": ts.Int(0, 3).when(x=1)})
    assert "y" in space.decode([1.0, 0.5])
    assert "y" not in space.decode([0.0, 0.5])
    space = ts.Space({"n": ts.Int(0, 3), "y": ts.Int(0, 3).when(n=np.int64(1))})
    assert "y" in space.decode([0.3, 0.5])
    stepped = ts.Space({"x": ts.Float(0, 1, step=0.1), "y": ts.Int(0, 3).when(x=0.1 * 3)})
    assert "y" in stepped.decode([0.35, 0.5])  # 0.1 * 3 names the grid value 0.3
    # A categorical parent keeps exact choices: True is not 1.
    space = ts.Space({"c": ts.Categorical([1, True]), "y": ts.Int(0, 3).when(c=True)})
    assert "y" not in space.decode([0.0, 0.5])
    assert "y" in space.decode([0.9, 0.5])


def test_parents_come_before_children_whatever_the_declaration_order() -> None:
    space = ts.Space({"degree": ts.Int(2, 5).when(kernel="poly"), "kernel": ["rbf", "poly"]})
    assert space.names == ("kernel", "degree")
    assert space.decode([0.9, 0.0]) == {"kernel": "poly", "degree": 2}


def test_decode_many_and_encode_many_have_documented_shapes() -> None:
    space = conditional_space()
    points = np.random.default_rng(0).random((5, space.n_dims))
    configs = space.decode_many(points)
    assert len(configs) == 5
    assert space.encode_many(configs).shape == (5, space.n_dims)
    assert space.encode_many([]).shape == (0, space.n_dims)


# -- grid -----------------------------------------------------------------------------------------
def test_grid_of_a_conditional_space_enumerates_active_combinations_once_in_order() -> None:
    space = ts.Space(
        {
            "kernel": ["linear", "poly", "rbf"],
            "C": [1, 10],
            "degree": ts.Int(2, 4).when(kernel="poly"),
            "gamma": ts.Categorical([0.1, 1.0]).when(kernel=["poly", "rbf"]),
            "coef": ts.Float(0, 1, step=0.5).when(degree=3),
        }
    )
    grid = space.grid()
    assert grid == space.grid()  # stable
    for config in grid:
        space.validate(config)
    assert len({tuple(sorted(c.items())) for c in grid}) == len(grid)  # no duplicates
    # Every valid configuration is there: brute force over values plus "absent".
    options = {n: [*d.grid(), "<absent>"] for n, d in space.distributions.items()}  # type: ignore[misc]
    valid = []
    for combo in itertools.product(*options.values()):
        config = {n: v for n, v in zip(options, combo, strict=True) if v != "<absent>"}
        try:
            space.validate(config)
        except ValueError:
            continue
        valid.append(config)
    # per C: linear 1; poly degree 2 or 4 x gamma 2, degree 3 x gamma 2 x coef 3; rbf gamma 2
    assert len(grid) == len(valid) == 2 * (1 + (2 * 2 + 2 * 3) + 2)
    assert sorted(map(repr, grid)) == sorted(map(repr, valid))
    # The first name varies slowest.
    position = {"linear": 0, "poly": 1, "rbf": 2}
    kernels = [position[c["kernel"]] for c in grid]
    assert kernels == sorted(kernels)
    assert [c["C"] for c in grid if c["kernel"] == "linear"] == [1, 10]


def test_grid_refuses_continuous_params_with_a_clear_message() -> None:
    space = ts.Space({"k": [1, 2], "lr": ts.Float(1e-4, 1e-1, log=True)})
    with pytest.raises(ValueError, match=r"'lr'.*continuous.*list of values or a step"):
        space.grid()
    with pytest.raises(ValueError, match=r"'z'.*continuous"):
        ts.Space({"z": scipy.stats.norm()}).grid()


def test_grid_of_single_valued_params() -> None:
    assert ts.Space({"a": ts.Float(2, 2), "b": ts.Int(3, 3), "c": ["x"]}).grid() == [
        {"a": 2.0, "b": 3, "c": "x"}
    ]
    assert ts.Space({}).grid() == [{}]


# -- scikit-learn style specs ---------------------------------------------------------------------
def test_as_distribution_of_lists_ranges_and_arrays_gives_python_values() -> None:
    assert ts.as_distribution([1, "a", None]) == ts.Categorical([1, "a", None])
    assert ts.as_distribution((0.5, 1.5)) == ts.Categorical([0.5, 1.5])
    assert ts.as_distribution(range(2, 8, 2)) == ts.Categorical([2, 4, 6])
    for array, kind in (
        (np.array([1, 2, 3]), int),
        (np.linspace(0, 1, 3), float),
        (np.array(["a", "b"]), str),
        (np.array([True, False]), bool),
    ):
        dist = ts.as_distribution(array)
        assert isinstance(dist, ts.Categorical)
        values = dist.grid()
        assert values == array.tolist()
        assert all(type(dist.decode(dist.encode(v))) is kind for v in values)  # type: ignore[union-attr]


def test_frozen_scipy_uniform_loguniform_randint_become_float_and_int() -> None:
    stats = scipy.stats
    assert ts.as_distribution(stats.uniform(2, 3)) == ts.Float(2, 5)
    assert ts.as_distribution(stats.uniform(loc=-1, scale=2)) == ts.Float(-1, 1)
    assert ts.as_distribution(stats.loguniform(1e-3, 1e3)) == ts.Float(1e-3, 1e3, log=True)
    assert ts.as_distribution(stats.loguniform(1, 10, scale=2)) == ts.Float(2, 20, log=True)
    assert ts.as_distribution(stats.randint(1, 10)) == ts.Int(1, 9)  # high is exclusive
    assert ts.as_distribution(stats.randint(1, 10, loc=5)) == ts.Int(6, 14)


def test_shifted_loguniform_is_not_log_uniform_and_stays_scipy() -> None:
    frozen = scipy.stats.loguniform(1, 10, 5)  # loc=5 given positionally
    dist = ts.as_distribution(frozen)
    assert isinstance(dist, ts.Scipy)
    assert dist.decode(0.5) == pytest.approx(frozen.ppf(0.5))


def test_other_frozen_scipy_distributions_decode_to_float_or_int() -> None:
    norm = ts.as_distribution(scipy.stats.norm(10, 2))
    poisson = ts.as_distribution(scipy.stats.poisson(4))
    assert isinstance(norm, ts.Scipy)
    assert isinstance(poisson, ts.Scipy)
    us = np.linspace(0, 1, 101)
    assert all(type(norm.decode(u)) is float for u in us)
    assert all(type(poisson.decode(u)) is int for u in us)
    assert norm.decode(0.5) == pytest.approx(10.0)
    assert poisson.contains(3)
    assert not poisson.contains(3.0)
    assert not poisson.contains(-1)
    space = ts.as_space({"x": scipy.stats.norm(), "k": scipy.stats.poisson(2)})
    config = space.decode([0.3, 0.7])
    assert type(config["x"]) is float
    assert type(config["k"]) is int


SKLEARN_GRIDS = [
    [
        {"C": [1, 10, 100], "kernel": ["linear"]},
        {"C": [1, 10], "gamma": [0.1, 0.01], "kernel": ["rbf"]},
    ],
    [{"a": [1, 2], "b": [True, False, None]}],
    [{"alpha": [0.1]}, {"alpha": [0.2, 0.3], "beta": ["x", "y"]}, {"gamma": [(1, 2), (3,)]}],
]


@pytest.mark.parametrize("spec", SKLEARN_GRIDS)
def test_list_of_dicts_grid_matches_scikit_learn_parameter_grid(spec: list[dict[str, Any]]) -> None:
    model_selection = pytest.importorskip("sklearn.model_selection")
    # scikit-learn sorts the keys of each dict; the specs above list them sorted, so the two
    # orders agree (tunesmith's first declared name varies slowest).
    space = ts.as_space(spec)
    expected = list(model_selection.ParameterGrid(spec))
    assert space.grid() == expected
    for config in space.grid():
        space.validate(config)
        back = space.decode(space.encode(config))
        assert back.keys() == config.keys()
        assert all(same(back[k], v) for k, v in config.items())


def test_union_space_shares_names_with_different_domains() -> None:
    space = ts.as_space(
        [
            {"model": ["svm"], "C": [1, 10]},
            {"model": ["forest"], "C": ts.Float(0.5, 2.0, step=0.5), "depth": ts.Int(1, 3)},
            {"model": ["knn"], "C": ts.Categorical(["small", "large"])},
        ]
    )
    assert isinstance(space, ts.UnionSpace)
    assert space.n_dims == 1 + 2 + 3 + 2
    grid = space.grid()
    assert len(grid) == 2 + 4 * 3 + 2
    for config in grid:
        back = space.decode(space.encode(config))
        assert back.keys() == config.keys()
        assert all(same(back[k], v) for k, v in config.items())
    assert space.branch_of({"model": "knn", "C": "small"}) == 2
    with pytest.raises(ValueError, match="none of the 3 sub-spaces"):
        space.branch_of({"model": "svm", "C": 2.0})
    dists = space.distributions_for({"model": "forest", "C": 1.0, "depth": 2})
    assert dists["C"] == ts.Float(0.5, 2.0, step=0.5)


@PROPERTY
@given(st.lists(UNIT, min_size=8, max_size=8))
def test_union_space_decode_is_valid_and_round_trips(u: list[float]) -> None:
    space = ts.as_space(
        [
            {"model": ["svm"], "C": ts.Float(1e-3, 1e3, log=True)},
            {"model": ["forest"], "C": ts.Int(1, 9), "depth": ts.Int(1, 3).when(C=[1, 2])},
            {"model": ["knn"], "k": ts.Int(1, 50, log=True)},
        ]
    )
    config = space.decode(u)
    space.validate(config)
    encoded = space.encode(config)
    assert encoded.shape == (space.n_dims,)
    back = space.decode(encoded)
    assert back.keys() == config.keys()
    assert all(same(back[k], v) for k, v in config.items())


def test_as_space_passes_spaces_through_and_unwraps_a_single_dict_list() -> None:
    space = ts.Space({"a": [1, 2]})
    assert ts.as_space(space) is space
    assert ts.as_space([{"a": [1, 2]}]) == space
    assert ts.as_space({"a": [1, 2]}) == space


# -- JSON -----------------------------------------------------------------------------------------
JSON_CASES: list[Distribution] = [
    ts.Float(-1.5, 2.25),
    ts.Float(1e-5, 1.0, log=True),
    ts.Float(0, 1, step=0.1),
    ts.Int(-3, 12, step=3),
    ts.Int(1, 1024, log=True),
    ts.Categorical([None, True, False, 0, 1, 1.0, -2.5, "s", ""]),
    ts.Categorical([(1, 2), (1, (2, "x")), (), ("a", None, True)]),
    ts.Scipy(scipy.stats.norm(0.5, 2)),
    ts.Scipy(scipy.stats.poisson(3)),
    ts.Scipy(scipy.stats.beta(2, 5, loc=1)),
    Fixed(3),
    Fixed(3.0),
    Fixed(None),
    Fixed("text"),
    Fixed((1, (2.5, "x"))),
]


@pytest.mark.parametrize("dist", JSON_CASES, ids=repr)
def test_json_round_trip(dist: Distribution) -> None:
    data = json.loads(json.dumps(dist.to_dict()))
    back = distribution_from_dict(data)
    assert back == dist
    assert hash(back) == hash(dist)
    assert type(back) is type(dist)
    values = dist.grid()
    if values is not None:
        assert all(same(a, b) for a, b in zip(back.grid(), values, strict=True))  # type: ignore[arg-type]


@pytest.mark.parametrize("dist", JSON_CASES, ids=repr)
def test_values_round_trip_through_their_json_storage_form(dist: Distribution) -> None:
    values = dist.grid() or [dist.decode(u) for u in (0.0, 0.3, 1.0)]
    for value in values:
        stored = json.loads(json.dumps(dist.to_internal(value)))
        assert same(dist.to_external(stored), value)


@PROPERTY
@given(categoricals)
def test_json_round_trip_of_any_categorical(dist: ts.Categorical) -> None:
    back = distribution_from_dict(json.loads(json.dumps(dist.to_dict())))
    assert back == dist
    assert all(same(a, b) for a, b in zip(back.choices, dist.choices, strict=True))  # type: ignore[attr-defined]


def test_json_round_trip_refuses_what_json_cannot_hold() -> None:
    with pytest.raises(TypeError, match=r"object.*cannot be stored as JSON"):
        ts.Categorical([object()]).to_dict()
    with pytest.raises(ValueError, match="Unknown distribution kind 'nope'"):
        distribution_from_dict({"kind": "nope"})


def test_distributions_are_hashable_values() -> None:
    assert ts.Float(0, 1) == ts.Float(0.0, 1.0)
    assert ts.Float(0, 1) != ts.Float(0, 1, step=0.5)
    assert ts.Categorical([1, 2]) != ts.Categorical([1.0, 2.0])
    assert len({ts.Int(0, 3), ts.Int(0, 3), ts.Categorical(["a"]), ts.Categorical(["a"])}) == 2
