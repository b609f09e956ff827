"""Exceptions shared across tunesmith."""

from __future__ import annotations

from collections.abc import Iterable


class TunesmithError(Exception):
    """Base class of tunesmith's own errors."""


class StudyNotFoundError(TunesmithError, KeyError):
    """A study name that the storage does not hold."""

    def __init__(self, name: str, existing: Iterable[str]) -> None:
        names = sorted(existing)
        listed = ", ".join(repr(n) for n in names) if names else "none"
        super().__init__(f"study_name={name!r} does not exist; the storage holds: {listed}.")
        self.name = name
        self.existing = names

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DuplicatedStudyError(TunesmithError):
    """``create_study`` of a name that exists, without ``load_if_exists=True``."""


class TrialFinishedError(TunesmithError):
    """An update of a trial that is already finished."""


class ClaimConflictError(TunesmithError):
    """Another trial of the study already holds the claim (for example a grid point)."""


class SearchSpaceExhausted(TunesmithError):
    """The sampler has nothing left to propose (a grid whose every point is taken).

    ``Study.optimize`` stops cleanly on it; ``Study.ask`` lets it propagate.
    """


class MissingExtraError(ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class TrialPruned(Exception):  # the name users know from Optuna
    """Raise from an objective to stop a trial early; it is recorded as PRUNED."""
