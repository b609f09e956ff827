"""``StudyView``: one study of a storage, read-only, kept up to date incrementally."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ..records import Direction, FrozenTrial, TrialsReader
from ._base import BaseStorage

__all__ = ["StudyView"]


class StudyView(TrialsReader):
    """The trials of one study as a storage holds them, synced by what changed since last time.

    A view needs nothing but a storage, so a worker on another host can read a study without the
    driver's ``Study`` object: it is a ``tunesmith.pruners.PruningContext`` (``study_name``,
    ``directions``, ``trials``; ``get_trials`` and ``direction`` as on a ``Study``), and the
    cache a ``Study`` keeps its trials in.

    Each ``sync`` asks the storage for the trials written after the last version it saw
    (``BaseStorage.trials_since``), so reading a study of ``n`` trials again costs what changed,
    not ``n``. A view is safe to use from several threads.

    Example:
        >>> import tunesmith as ts
        >>> storage = ts.storages.InMemoryStorage()
        >>> study = ts.create_study(storage=storage, study_name="demo")
        >>> study.tell(study.ask(), 1.0).number
        0
        >>> view = ts.storages.StudyView(storage, "demo")
        >>> [(t.number, t.value) for t in view.trials], view.directions
        ([(0, 1.0)], ('minimize',))
    """

    def __init__(self, storage: BaseStorage, study_name: str) -> None:
        info = storage.get_study(study_name)  # StudyNotFoundError lists the names
        self.storage = storage
        self.study_id = info.study_id
        self.study_name = info.name
        self.directions: tuple[Direction, ...] = info.directions
        self._records: list[FrozenTrial] = []
        self._version = 0
        self._lock = threading.RLock()

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle as a new view of the same study: on the same database for a SQL storage (what
        a worker process receives), on a copy for the in-memory one. It syncs afresh."""
        return (StudyView, (self.storage, self.study_name))

    def __repr__(self) -> str:
        return f"StudyView(study_name={self.study_name!r}, n_trials={len(self._records)})"

    @property
    def trials(self) -> Sequence[FrozenTrial]:
        """Every trial in number order, synced with the storage first."""
        with self._lock:
            self.sync()
            return tuple(self._records)

    @property
    def cached(self) -> Sequence[FrozenTrial]:
        """The trials as of the last ``sync``, without a storage read: the view's own list,
        one object for the view's life, updated in place by ``sync`` and ``put``."""
        return self._records

    def sync(self) -> tuple[list[FrozenTrial], bool]:
        """Read what changed in the storage since the last sync.

        Returns:
            The changed records in number order, and whether the view was rebuilt from scratch
            (then the records are every trial, and an owner's derived state must start over).
        """
        with self._lock:
            changed, version = self.storage.trials_since(self.study_id, self._version)
            rebuilt = False
            if changed:
                changed.sort(key=lambda t: t.number)
                start = len(self._records)
                new = [t.number for t in changed if t.number >= start]
                if new != list(range(start, start + len(new))):  # never expected; stay correct
                    changed, version = self.storage.trials_since(self.study_id, 0)
                    changed.sort(key=lambda t: t.number)
                    self._records.clear()
                    rebuilt = True
                for t in changed:
                    self.put(t)
            self._version = version
            return changed, rebuilt

    def put(self, record: FrozenTrial) -> None:
        """Hold ``record`` (just written by the owner) before the next sync reads it."""
        with self._lock:
            n = record.number
            if n < len(self._records):
                self._records[n] = record
            elif n == len(self._records):
                self._records.append(record)
