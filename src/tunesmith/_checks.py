"""Argument checks: one rule and one message form for every public option.

The rules:

- An integer option takes any integral number (``int``, ``numpy.int64``...) but no ``bool``;
  a real option takes any real number (``float``, ``numpy.float32``, ``int``...) but no
  ``bool`` and never NaN. Values come back as plain ``int`` / ``float``.
- A value of the wrong type raises ``TypeError``, a value of the right type outside the allowed
  range raises ``ValueError``.
- Every message reads "`name` must be <rule>, but got name=<value>.", prefixed with the owner
  (``"optimize: "``, ``"TPESampler: "``) when there is one.

Example:
    >>> from tunesmith._checks import check_int
    >>> import numpy as np
    >>> check_int(np.int64(3), "n_trials", low=1)
    3
    >>> check_int(0, "n_trials", low=1, owner="optimize")
    Traceback (most recent call last):
    ...
    ValueError: optimize: `n_trials` must be an int >= 1, but got n_trials=0.
    >>> check_int("3", "n_trials", low=1)
    Traceback (most recent call last):
    ...
    TypeError: `n_trials` must be an int >= 1, but got n_trials='3'.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

__all__ = [
    "check_bool",
    "check_choice",
    "check_float",
    "check_float_or_none",
    "check_int",
    "check_int_or_auto",
    "check_int_or_none",
    "check_seed",
    "int_rule",
    "is_int",
    "is_real",
    "message",
]


def message(name: str, rule: str, value: Any, owner: str | None = None) -> str:
    """The one message form: ``"[owner: ]`name` must be <rule>, but got name=<value>."``."""
    prefix = f"{owner}: " if owner else ""
    return f"{prefix}`{name}` must be {rule}, but got {name}={value!r}."


def is_int(value: Any) -> bool:
    """An integral number that is not a bool (``numpy`` integers included)."""
    kind = type(value)
    if kind is int:  # the common case, without the slow ABC check (this is on the hot path)
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """A real number that is not a bool (``numpy`` scalars and ints included)."""
    kind = type(value)
    if kind is float or kind is int:  # the common cases, without the slow ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def int_rule(low: int | None = None, high: int | None = None) -> str:
    """Words for an integer range: ``"an int >= 1"``, ``"an int in [1, 1000]"``, ``"an int"``."""
    if low is not None and high is not None:
        return f"an int in [{low}, {high}]"
    if low is not None:
        return f"an int >= {low}"
    if high is not None:
        return f"an int <= {high}"
    return "an int"


def check_int(
    value: Any,
    name: str,
    *,
    low: int | None = None,
    high: int | None = None,
    owner: str | None = None,
    rule: str | None = None,
) -> int:
    """``value`` as an ``int`` in ``[low, high]``; ``rule`` replaces the words of the range."""
    words = rule or int_rule(low, high)
    if not is_int(value):
        raise TypeError(message(name, words, value, owner))
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(message(name, words, value, owner))
    return int(value)


def check_int_or_none(
    value: Any,
    name: str,
    *,
    low: int | None = None,
    high: int | None = None,
    owner: str | None = None,
) -> int | None:
    """``None``, or ``value`` as an ``int`` in ``[low, high]``."""
    if value is None:
        return None
    return check_int(value, name, low=low, high=high, owner=owner, rule=_or_none(low, high))


def check_int_or_auto(
    value: Any, name: str, *, low: int, owner: str | None = None, rule: str | None = None
) -> int | Literal["auto"]:
    """``"auto"``, or ``value`` as an ``int >= low``; another string is a wrong value."""
    words = f"'auto' or {rule or int_rule(low)}"
    if isinstance(value, str):
        if value == "auto":
            return "auto"
        raise ValueError(message(name, words, value, owner))
    return check_int(value, name, low=low, owner=owner, rule=words)


def _or_none(low: int | None, high: int | None) -> str:
    return f"None or {int_rule(low, high)}"


def check_float(
    value: Any,
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    owner: str | None = None,
    rule: str,
) -> float:
    """``value`` as a ``float`` in the interval from ``low`` to ``high`` (never NaN).

    ``low_open`` / ``high_open`` exclude the bounds; ``rule`` words the check for the message
    (``"a number > 0"``, ``"a number in [0, 100]"``).
    """
    if not is_real(value):
        raise TypeError(message(name, rule, value, owner))
    x = float(value)
    above = x > low if low_open else x >= low
    below = x < high if high_open else x <= high
    if not (above and below):  # NaN fails both
        raise ValueError(message(name, rule, value, owner))
    return x


def check_float_or_none(
    value: Any,
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    owner: str | None = None,
    rule: str,
) -> float | None:
    """``None``, or ``value`` as by ``check_float``; ``rule`` should say that None is allowed."""
    if value is None:
        return None
    return check_float(
        value,
        name,
        low=low,
        high=high,
        low_open=low_open,
        high_open=high_open,
        owner=owner,
        rule=rule,
    )


def check_bool(value: Any, name: str, *, owner: str | None = None) -> bool:
    """``value`` as a ``bool`` (``numpy.bool_`` included); ``TypeError`` for anything else."""
    if value is True or value is False:
        return value
    if not isinstance(value, np.bool_):
        raise TypeError(message(name, "a bool", value, owner))
    return bool(value)


def check_choice(value: Any, name: str, choices: Sequence[str], *, owner: str | None = None) -> str:
    """``value`` if it is one of the string ``choices``; ``TypeError`` for a non-string."""
    rule = f"one of {tuple(choices)}"
    if not isinstance(value, str):
        raise TypeError(message(name, rule, value, owner))
    if value not in choices:
        raise ValueError(message(name, rule, value, owner))
    return value


def check_seed(value: Any, *, owner: str | None = None) -> int:
    """A sampler's seed: an ``int >= 0``, or ``None`` for one drawn from the OS."""
    if value is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    return check_int(value, "seed", low=0, owner=owner, rule="None or an int >= 0")
