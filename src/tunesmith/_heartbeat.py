"""Heartbeats of a process's running trials, and the reaping of trials whose worker died.

A storage that outlives its process (SQL) has a ``heartbeat_interval`` and a ``grace_period``:
every trial a process asked for and has not finished gets a heartbeat from a daemon thread each
interval, and a RUNNING trial whose last heartbeat is older than the grace period belongs to a
dead worker and is failed (``BaseStorage.fail_stale_trials``). The in-memory storage has neither:
its trials die with the process.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable

from .storages import BaseStorage

__all__ = ["Heartbeat"]

_logger = logging.getLogger("tunesmith")


class Heartbeat:
    """Beats for the running trials of one study in this process, and reaps stale ones.

    Call order: ``start(numbers)`` when trials are asked, ``stop(number)`` when one is finished
    (here or, as a sync shows, elsewhere), ``reap()`` before proposing new trials. The thread
    runs while there are trials to beat for and ends by itself after the last one; a forked child
    (``optimize(n_jobs=k)``) takes a fresh lock and starts its own thread on its next ``start``.
    """

    def __init__(self, storage: BaseStorage, study_id: int) -> None:
        self._storage = storage
        self._study_id = study_id
        #: Whether the storage wants heartbeats (it outlives the process).
        self.enabled = storage.heartbeat_interval is not None
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._running: set[int] = set()
        self._thread: threading.Thread | None = None
        self._last_reap = 0.0

    def _after_fork(self) -> None:
        """In a forked child: a lock of its own (the parent's thread may have held the copied
        one at the fork), and no thread yet."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._lock = threading.Lock()
            self._thread = None

    def start(self, numbers: Iterable[int]) -> None:
        """Beat for ``numbers`` from now on, from a daemon thread.

        Trials from ``ask`` beat too, so a trial whose process dies never stays RUNNING; a trial
        handed to another process to tell keeps beating as long as the asking process lives.
        """
        if not self.enabled:
            return
        self._after_fork()
        with self._lock:
            self._running.update(numbers)
            thread = self._thread
            if thread is not None and thread.is_alive():
                return
            thread = threading.Thread(target=self._beat, name="tunesmith-heartbeat", daemon=True)
            self._thread = thread
        thread.start()

    def stop(self, number: int) -> None:
        """No more beats for trial ``number`` (it is finished)."""
        if number not in self._running:  # most calls: no lock for a trial not beaten for
            return
        self._after_fork()
        with self._lock:
            self._running.discard(number)

    def _beat(self) -> None:
        interval = self._storage.heartbeat_interval
        assert interval is not None
        while True:
            time.sleep(interval)
            with self._lock:
                running = list(self._running)
                if not running:
                    self._thread = None
                    return
            try:
                self._storage.record_heartbeat(self._study_id, running)
            except Exception:  # a missed beat is retried; the grace period covers it
                _logger.exception("Heartbeat of trials %s failed", running)

    def reap(self) -> bool:
        """Fail the study's stale RUNNING trials, at most once per heartbeat interval.

        Returns whether any trial was failed (the caller's cache is then out of date).
        """
        grace = self._storage.grace_period
        if grace is None:
            return False
        now = time.monotonic()
        if now - self._last_reap < min(grace, self._storage.heartbeat_interval or grace):
            return False
        self._last_reap = now
        return bool(self._storage.fail_stale_trials(self._study_id))
