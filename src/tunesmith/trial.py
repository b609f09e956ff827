"""The live ``Trial``: what an objective receives, or ``Study.ask`` returns, while it runs.

Its stored form is the immutable ``tunesmith.records.FrozenTrial``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._checks import check_int
from ._errors import TrialFinishedError
from .distributions import Categorical, Distribution, Float, Int, as_distribution
from .records import FrozenTrial, TrialState, as_float_tuple

if TYPE_CHECKING:
    from .study import Study

__all__ = ["Trial"]


class Trial:
    """A running trial, handed to the objective (define-by-run) or returned by ``Study.ask``.

    Call ``suggest_*`` to draw hyperparameters; each name keeps its value for the whole trial.
    Report results with ``Study.tell`` (``Study.optimize`` does it for you).

    The study builds a trial complete, with what it knows before the objective runs: the whole
    configuration of an ``ask(space)`` trial, the sampler's ``proposal`` for a define-by-run one,
    the ``fixed`` names of an enqueued configuration. From then on the trial owns its state and
    talks to its study through a few private calls, and the study to the trial through three:

    - trial -> study: ``_check_domain`` and ``_sample_param`` (in ``suggest``), ``_report``,
      ``_should_prune`` and ``_check_constraints``;
    - study -> trial: ``_running_record()`` (what a pruner judges; built only when the pruner
      may prune), ``_final_fields(state)`` (what to store when the trial is told; it refuses a
      finished trial) and ``_close()`` (once that is stored).

    Example:
        >>> import tunesmith as ts
        >>> study = ts.create_study(seed=0)
        >>> trial = study.ask()
        >>> x = trial.suggest_float("x", -1.0, 1.0)
        >>> study.tell(trial, x**2).state
        <TrialState.COMPLETE: 'COMPLETE'>
    """

    __slots__ = (
        "_constraints",
        "_distributions",
        "_finished",
        "_fixed",
        "_intermediate",
        "_params",
        "_proposal",
        "_study",
        "datetime_start",
        "number",
        "user_attrs",
    )

    def __init__(
        self,
        study: Study,
        number: int,
        *,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        proposal: Mapping[str, Any] | None = None,
        fixed: frozenset[str] = frozenset(),
        user_attrs: Mapping[str, Any] | None = None,
        datetime_start: datetime | None = None,
    ) -> None:
        """Built complete by the study (``Study.ask``), never by users.

        Args:
            study: The study the trial belongs to.
            number: The trial's number in the study.
            params: Values drawn already (an ``ask(space)`` configuration, or enqueued values).
            distributions: The domain of each of ``params``.
            proposal: The sampler's configuration for a define-by-run trial; ``suggest`` takes
                a value from it when the name is there and the value fits the domain asked for.
            fixed: Enqueued names whose domain is learnt when the objective suggests them.
            user_attrs: Attributes given with an enqueued configuration.
            datetime_start: When the trial started running (UTC).
        """
        self._study = study
        self.number = number
        self._params: dict[str, Any] = dict(params or {})
        self._distributions: dict[str, Distribution] = dict(distributions or {})
        self._proposal: Mapping[str, Any] = proposal or {}
        self._fixed = fixed
        self.user_attrs: dict[str, Any] = dict(user_attrs or {})
        self._intermediate: dict[int, float] = {}
        self._constraints: tuple[float, ...] | None = None
        self._finished = False
        self.datetime_start = datetime_start

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._params!r})"

    @property
    def study(self) -> Study:
        return self._study

    @property
    def params(self) -> dict[str, Any]:
        """Parameters drawn so far (the whole configuration for ``ask(space)`` trials)."""
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._distributions)

    @property
    def intermediate_values(self) -> dict[int, float]:
        return dict(self._intermediate)

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Draw a float in ``[low, high]`` (see ``tunesmith.Float``)."""
        value: float = self.suggest(name, Float(low, high, step=step, log=log))
        return value

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Draw an int in ``[low, high]`` (see ``tunesmith.Int``)."""
        value: int = self.suggest(name, Int(low, high, step=step, log=log))
        return value

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        """Draw one of ``choices`` (see ``tunesmith.Categorical``)."""
        return self.suggest(name, Categorical(choices))

    def suggest(self, name: str, distribution: Any) -> Any:
        """Draw ``name`` from any distribution, list of values or frozen scipy distribution."""
        dist = as_distribution(distribution, name)
        known = self._distributions.get(name)
        if known == dist:
            if name in self._fixed:
                self._fixed -= {name}
            return self._params[name]
        self._check_not_finished()
        if known is not None and name not in self._fixed:
            raise ValueError(
                f"Parameter {name!r} was already drawn in trial {self.number} from {known!r}; "
                f"it cannot be drawn again from {dist!r}."
            )
        self._study._check_domain(name, dist)
        if name in self._fixed:
            value = self._params[name]
            if not dist.contains(value):
                raise ValueError(f"Enqueued value {value!r} of {name!r} is not in {dist!r}.")
        elif name in self._proposal and dist.contains(self._proposal[name]):
            value = self._proposal[name]
        else:
            value = self._study._sample_param(name, dist, self.number, self._params)
        self._params[name] = value
        self._distributions[name] = dist
        self._fixed -= {name}
        return value

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-ready value to the trial; stored when the trial is told."""
        self._check_not_finished()
        self.user_attrs[key] = value

    def set_constraints(self, constraints: Sequence[float]) -> None:
        """Record constraint values; the trial is feasible when every value is ``<= 0``."""
        self._check_not_finished()
        values = as_float_tuple(constraints, "constraints")
        self._study._check_constraints(values, self.number)
        self._constraints = values

    def report(self, value: float, step: int) -> None:
        """Record an intermediate objective value (a learning-curve point) at ``step``.

        The value is stored at once, so it survives a crash, and a pruned trial keeps its curve.
        Reporting a step again keeps the first value (a retried epoch does not rewrite history,
        and every worker sees one curve); a non-finite value is stored as given and pruners treat
        it as the worst value.
        """
        self._check_not_finished()
        step = check_int(step, "step", low=0, owner="report")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"report: `value` must be a number, but got value={value!r}.") from None
        if step in self._intermediate:
            return
        self._intermediate[step] = v
        self._study._report(self.number, self._intermediate)

    def should_prune(self) -> bool:
        """Whether the study's pruner says to stop this trial now, from the reports so far.

        Call it after ``report``; when it returns ``True``, ``raise tunesmith.TrialPruned()``
        (``optimize`` then stores the trial as PRUNED with its last reported value) or tell the
        trial with ``state="PRUNED"``. Several workers on one storage prune from one shared
        history of learning curves.

        Example:
            >>> import tunesmith as ts
            >>> study = ts.create_study(pruner=ts.pruners.ThresholdPruner(upper=1.0))
            >>> trial = study.ask()
            >>> trial.report(5.0, step=0)
            >>> trial.should_prune()
            True
        """
        self._check_not_finished()
        if not self._intermediate:
            return False
        return self._study._should_prune(self)

    def _running_record(self) -> FrozenTrial:
        """The trial as a RUNNING record: what a pruner judges."""
        return FrozenTrial(
            number=self.number,
            state=TrialState.RUNNING,
            params=self._params,
            distributions=self._distributions,
            user_attrs=self.user_attrs,
            intermediate_values=self._intermediate,
            constraints=self._constraints,
            datetime_start=self.datetime_start,
        )

    def _final_fields(self, state: TrialState) -> dict[str, Any]:
        """What the study stores when the trial is told ``state`` (the study's seam).

        Enqueued values the objective never asked for are not part of a finished configuration;
        a FAIL trial keeps them, to show what it was asked to evaluate.

        Raises:
            TrialFinishedError: The trial was told already.
        """
        if self._finished:
            raise TrialFinishedError(f"Trial {self.number} is already finished.")
        unused = self._fixed if state is not TrialState.FAIL else frozenset()
        fields: dict[str, Any] = {
            "params": {k: v for k, v in self._params.items() if k not in unused},
            "distributions": {k: v for k, v in self._distributions.items() if k not in unused},
        }
        if self.user_attrs:
            fields["user_attrs"] = self.user_attrs
        if self._constraints is not None:
            fields["constraints"] = self._constraints
        return fields

    def _close(self) -> None:
        """Refuse changes from now on: the study stored the finished trial."""
        self._finished = True

    def _check_not_finished(self) -> None:
        if self._finished:
            raise TrialFinishedError(f"Trial {self.number} is finished; it can no longer change.")
