"""SQL storage: SQLite files and PostgreSQL, through SQLAlchemy Core.

Design, in short:

* Every value is JSON text or a number (``_common`` holds the forms); nothing is pickled.
* Every trial write gives the trial the study's next *version* in the same transaction: the
  transaction starts with ``UPDATE tunesmith_studies SET version = version + n RETURNING``,
  which locks the study row until commit. Versions of a study therefore commit in order, and
  ``trials_since`` (``version > v``) never skips one. Heartbeats change nothing a sampler sees
  and do not bump the version.
* SQLite runs in WAL mode; writes open with ``BEGIN IMMEDIATE`` so a transaction never has to
  upgrade from reader to writer (the classic source of "database is locked"), and reads run in
  autocommit on a second engine. Every call retries, with jittered backoff, on busy / lock /
  serialization errors for up to ``_RETRY_SECONDS`` before a ``TimeoutError``.
* Schema migrations are alembic revisions in ``migrations/``; opening a storage whose schema is
  at ``HEAD`` only reads the version table.
"""

from __future__ import annotations

import functools
import json
import os
import random
import sqlite3
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from .._checks import check_float_or_none
from .._errors import (
    ClaimConflictError,
    DuplicatedStudyError,
    MissingExtraError,
    StudyNotFoundError,
)
from ..distributions import Distribution
from ..records import Direction, FrozenTrial, TrialState
from . import _schema
from ._base import STALE_TRIAL_ERROR, BaseStorage, StudyInfo, StudySummary
from ._common import (
    check_updatable,
    distributions_from_json,
    distributions_to_json,
    dumps,
    floats_from_json,
    floats_to_json,
    from_timestamp,
    intermediate_from_json,
    intermediate_to_json,
    params_from_json,
    params_to_json,
    to_timestamp,
)

__all__ = ["HEAD", "SQLStorage"]

_T = TypeVar("_T")

#: Alembic revisions in order; the database schema this code reads and writes is the last.
REVISIONS = ("0001", "0002")
HEAD = REVISIONS[-1]

_MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_URL_EXAMPLES = "'sqlite:///tunesmith.db' or 'postgresql+psycopg://user@host/db'"
_SQLITE_BUSY_TIMEOUT = 30.0  # seconds SQLite itself waits for a lock before reporting busy
_RETRY_SECONDS = 120.0  # total time a call keeps retrying busy / lock / serialization errors
_PG_MIGRATION_LOCK = 0x74756E65736D6974  # pg_advisory_xact_lock key: b"tunesmit"
_PG_RETRYABLE = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_SQLITE_BUSY_CODES = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED (primary codes)

_S = _schema.studies
_TR = _schema.trials
_ACTIVE = (TrialState.WAITING.value, TrialState.RUNNING.value)
_STATES = {s.value: s for s in TrialState}

# Columns of a trial in the order ``_to_trial`` reads them.
_TRIAL_COLS = (
    _TR.c.number,
    _TR.c.state,
    _TR.c.values_json,
    _TR.c.params_json,
    _TR.c.distributions_json,
    _TR.c.user_attrs_json,
    _TR.c.intermediate_json,
    _TR.c.constraints_json,
    _TR.c.error,
    _TR.c.started_at,
    _TR.c.finished_at,
)

# -- statements, built once (bind parameter names differ from column names on purpose: SQLAlchemy
# would turn an execute() key named like a column into an extra SET of an UPDATE) ---------------
_sid: sa.BindParameter[Any] = sa.bindparam("sid")
_BUMP_VERSION = (
    sa.update(_S)
    .where(_S.c.id == _sid)
    .values(version=_S.c.version + sa.bindparam("n"))
    .returning(_S.c.version)
)
_BUMP_NUMBERS = (
    sa.update(_S)
    .where(_S.c.id == _sid)
    .values(
        next_number=_S.c.next_number + sa.bindparam("n"),
        version=_S.c.version + sa.bindparam("n"),
    )
    .returning(_S.c.next_number, _S.c.version)
)
_INSERT_TRIALS = sa.insert(_TR)
_GET_TRIAL = sa.select(*_TRIAL_COLS).where(
    _TR.c.study_id == _sid, _TR.c.number == sa.bindparam("num")
)
_CURRENT_PARAMS = sa.select(_TR.c.params_json, _TR.c.distributions_json).where(
    _TR.c.study_id == _sid, _TR.c.number == sa.bindparam("num")
)
# One statement answers "does the study exist, and what changed": the outer join yields a row of
# NULLs for an existing study without changes, and no row at all for a missing study.
_SINCE = (
    sa.select(*_TRIAL_COLS, _TR.c.version)
    .select_from(
        _S.outerjoin(_TR, sa.and_(_TR.c.study_id == _S.c.id, _TR.c.version > sa.bindparam("ver")))
    )
    .where(_S.c.id == _sid)
)  # no ORDER BY: SQLite would walk the (study_id, number) index, all trials, to avoid a sort
_waiting = _TR.alias("waiting")
_HAS_WAITING = sa.select(
    _S.c.id,
    sa.select(_waiting.c.id)
    .where(_waiting.c.study_id == _S.c.id, _waiting.c.state == TrialState.WAITING.value)
    .limit(1)
    .scalar_subquery(),
).where(_S.c.id == _sid)
_CLAIM = (
    sa.update(_TR)
    .where(
        _TR.c.id
        == sa.select(_waiting.c.id)
        .where(_waiting.c.study_id == _sid, _waiting.c.state == TrialState.WAITING.value)
        .order_by(_waiting.c.number)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite already holds the write lock
        .scalar_subquery()
    )
    .values(
        state=TrialState.RUNNING.value,
        started_at=sa.bindparam("now"),
        heartbeat_at=sa.bindparam("beat"),
        version=sa.bindparam("ver"),
    )
    .returning(*_TRIAL_COLS)
)
_HEARTBEAT = (
    sa.update(_TR)
    .where(
        _TR.c.study_id == _sid,
        _TR.c.number.in_(sa.bindparam("nums", expanding=True)),
        _TR.c.state == TrialState.RUNNING.value,
    )
    .values(heartbeat_at=sa.bindparam("now"))
)
_STALE = (
    sa.select(_TR.c.number)
    .where(
        _TR.c.study_id == _sid,
        _TR.c.state == TrialState.RUNNING.value,
        _TR.c.heartbeat_at < sa.bindparam("cutoff"),
    )
    .order_by(_TR.c.number)
)
# Row locks keep a heartbeat from landing between choosing the stale trials and failing them.
_STALE_LOCKED = _STALE.with_for_update()
_LOCK_STUDY = sa.select(_S.c.id).where(_S.c.id == _sid).with_for_update()
_FAIL_STALE = (
    sa.update(_TR)
    .where(
        _TR.c.study_id == _sid,
        _TR.c.number == sa.bindparam("num"),
        _TR.c.state == TrialState.RUNNING.value,
    )
    .values(
        state=TrialState.FAIL.value,
        error=STALE_TRIAL_ERROR,
        finished_at=sa.bindparam("now"),
        version=sa.bindparam("ver"),
    )
)
_STUDY_BY_NAME = sa.select(_S.c.id, _S.c.name, _S.c.directions, _S.c.created_at).where(
    _S.c.name == sa.bindparam("name")
)
_STUDY_NAMES = sa.select(_S.c.name).order_by(_S.c.id)
_LIST_STUDIES = sa.select(_S.c.name, _S.c.directions, _S.c.next_number, _S.c.created_at).order_by(
    _S.c.id
)
_READ_REVISION = sa.text(f"SELECT version_num FROM {_schema.VERSION_TABLE}")


class _NothingToClaim(Exception):
    """Rolls the claim transaction (and its version bump) back when no WAITING trial is left."""


class SQLStorage(BaseStorage):
    """Studies in a SQLite file or a PostgreSQL database, shared by processes and hosts.

    Args:
        url: ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/db`` (plain
            ``postgresql://`` means psycopg, installed with ``pip install 'tunesmith[postgres]'``).
        heartbeat_interval: Seconds between heartbeats of a running trial, or ``None`` for none.
        grace_period: Seconds without a heartbeat after which a RUNNING trial is FAIL, or
            ``None`` to never fail trials. Must exceed ``heartbeat_interval``.
        engine_kwargs: Extra arguments of ``sqlalchemy.create_engine`` (pool size, ...).

    SQLite files need a local file system (WAL mode does not work over NFS); use PostgreSQL
    for workers on several hosts. Heartbeats compare wall clocks, so hosts sharing a PostgreSQL
    database need synchronised clocks (well within ``grace_period``).

    Example:
        >>> import tunesmith as ts
        >>> storage = ts.storages.SQLStorage("sqlite:///tuning.db")  # doctest: +SKIP
        >>> study = ts.create_study(storage=storage, study_name="svm")  # doctest: +SKIP
    """

    shared_across_processes = True

    def __init__(
        self,
        url: str,
        *,
        heartbeat_interval: float | None = 15.0,
        grace_period: float | None = 120.0,
        engine_kwargs: dict[str, Any] | None = None,
    ) -> None:
        heartbeat_interval, grace_period = _check_timing(heartbeat_interval, grace_period)
        parsed = _parse_url(url)
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self._url = parsed
        self._engine_kwargs = dict(engine_kwargs or {})
        self._sqlite = parsed.get_backend_name() == "sqlite"
        self._retry_seconds = _RETRY_SECONDS
        self._writer, self._reader = _create_engines(parsed, self._engine_kwargs)
        _LIVE.add(self)
        try:
            self._migrate()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        return f"SQLStorage({self._url.render_as_string(hide_password=True)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Workers (multiprocessing spawn, dask) get a fresh storage on the same database.
        return (
            _rebuild,
            (
                self._url.render_as_string(hide_password=False),
                self.heartbeat_interval,
                self.grace_period,
                self._engine_kwargs,
            ),
        )

    # -- plumbing ------------------------------------------------------------------------------
    def _run(self, engine: sa.Engine, work: Callable[[sa.Connection], _T]) -> _T:
        """Run ``work`` in one transaction of ``engine``; retry it while the database is busy."""
        deadline = time.monotonic() + self._retry_seconds
        delay = 0.002
        while True:
            try:
                with engine.begin() as conn:
                    return work(conn)
            except sa_exc.DBAPIError as exc:
                if not self._is_transient(exc):
                    raise
                now = time.monotonic()
                if now >= deadline:
                    raise TimeoutError(
                        f"The database stayed busy for {self._retry_seconds:g} s (another "
                        f"connection holds a long transaction?); giving up: {exc.orig}"
                    ) from exc
            time.sleep(min(delay * random.uniform(0.5, 1.5), max(deadline - now, 0.0)))
            delay = min(delay * 2.0, 0.25)

    def _write(self, work: Callable[[sa.Connection], _T]) -> _T:
        return self._run(self._writer, work)

    def _read(self, work: Callable[[sa.Connection], _T]) -> _T:
        return self._run(self._reader, work)

    def _is_transient(self, exc: sa_exc.DBAPIError) -> bool:
        orig = exc.orig
        if self._sqlite:
            if not isinstance(orig, sqlite3.OperationalError):
                return False
            code = getattr(orig, "sqlite_errorcode", None)
            if code is not None:
                return code & 0xFF in _SQLITE_BUSY_CODES
            return "locked" in str(orig) or "busy" in str(orig)
        return getattr(orig, "sqlstate", None) in _PG_RETRYABLE

    def _migrate(self) -> None:
        current = self._read(_read_revision)
        if current == HEAD:
            return  # the fast path: one SELECT, no alembic
        if current is not None and current not in REVISIONS:
            raise RuntimeError(
                f"The database {self!r} has tunesmith schema revision {current!r}, which this "
                f"version of tunesmith does not know (it knows up to {HEAD!r}); upgrade tunesmith."
            )

        def upgrade(conn: sa.Connection) -> None:
            # SQLite: the writer's BEGIN IMMEDIATE already excludes other writers, migrations
            # included. PostgreSQL: a transaction-scoped advisory lock does the same.
            if not self._sqlite:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
            # Another process may have migrated while we waited for the lock. (Look before
            # reading: a failed SELECT would abort a PostgreSQL transaction.)
            if (
                not sa.inspect(conn).has_table(_schema.VERSION_TABLE)
                or _read_revision(conn) != HEAD
            ):
                run_migrations(conn, HEAD)

        self._write(upgrade)

    def _dispose_after_fork(self) -> None:
        # The child must not touch the parent's sockets / file handles: forget them unclosed.
        self._writer.dispose(close=False)
        self._reader.dispose(close=False)

    def close(self) -> None:
        """Close every pooled connection."""
        _LIVE.discard(self)
        self._writer.dispose()
        self._reader.dispose()

    # -- studies -------------------------------------------------------------------------------
    def create_study(self, name: str, directions: Sequence[Direction]) -> StudyInfo:
        directions = tuple(directions)
        created_at = time.time()
        values = {
            "name": name,
            "directions": dumps(list(directions)),
            "created_at": created_at,
            "next_number": 0,
            "version": 0,
        }

        def work(conn: sa.Connection) -> int:
            return int(conn.execute(sa.insert(_S).values(values).returning(_S.c.id)).scalar_one())

        try:
            study_id = self._write(work)
        except sa_exc.IntegrityError:
            raise DuplicatedStudyError(f"A study named {name!r} already exists.") from None
        return StudyInfo(study_id, name, directions, _utc(created_at))

    def get_study(self, name: str) -> StudyInfo:
        def work(conn: sa.Connection) -> StudyInfo:
            row = conn.execute(_STUDY_BY_NAME, {"name": name}).first()
            if row is None:
                raise StudyNotFoundError(name, conn.execute(_STUDY_NAMES).scalars().all())
            return StudyInfo(row[0], row[1], tuple(json.loads(row[2])), _utc(row[3]))

        return self._read(work)

    def list_studies(self) -> list[StudySummary]:
        def work(conn: sa.Connection) -> list[StudySummary]:
            return [
                StudySummary(name, tuple(json.loads(directions)), n_trials, _utc(created_at))
                for name, directions, n_trials, created_at in conn.execute(_LIST_STUDIES)
            ]

        return self._read(work)

    def delete_study(self, name: str) -> None:
        def work(conn: sa.Connection) -> None:
            study_id = conn.execute(sa.select(_S.c.id).where(_S.c.name == name)).scalar()
            if study_id is None:
                raise StudyNotFoundError(name, conn.execute(_STUDY_NAMES).scalars().all())
            # Explicit rather than ON DELETE CASCADE alone: a connection opened elsewhere with
            # SQLite's foreign_keys off would leave the trials behind.
            conn.execute(sa.delete(_TR).where(_TR.c.study_id == study_id))
            conn.execute(sa.delete(_S).where(_S.c.id == study_id))

        self._write(work)

    # -- trials --------------------------------------------------------------------------------
    def create_trials(
        self, study_id: int, templates: Sequence[FrozenTrial], *, heartbeat: bool = False
    ) -> list[int]:
        if not templates:
            return []
        now = time.time()
        # Encode before the transaction: the write lock is held only for the two statements,
        # and a value that cannot be stored fails before anything is written.
        rows = [
            _trial_row(t, now if heartbeat and t.state is TrialState.RUNNING else None)
            for t in templates
        ]
        n = len(rows)

        def work(conn: sa.Connection) -> list[int]:
            bumped = conn.execute(_BUMP_NUMBERS, {"sid": study_id, "n": n}).first()
            if bumped is None:
                raise _missing_study(study_id)
            first_number = bumped[0] - n
            first_version = bumped[1] - n + 1
            for i, row in enumerate(rows):
                row["study_id"] = study_id
                row["number"] = first_number + i
                row["version"] = first_version + i
            conn.execute(_INSERT_TRIALS, rows)
            return list(range(first_number, first_number + n))

        return self._write(work)

    def claim_waiting_trial(self, study_id: int, *, heartbeat: bool = False) -> FrozenTrial | None:
        # Enqueued trials are rare: look first without taking the write lock.
        found = self._read(lambda conn: conn.execute(_HAS_WAITING, {"sid": study_id}).first())
        if found is None:
            raise _missing_study(study_id)
        if found[1] is None:
            return None

        def work(conn: sa.Connection) -> Sequence[Any]:
            version = conn.execute(_BUMP_VERSION, {"sid": study_id, "n": 1}).scalar()
            if version is None:
                raise _missing_study(study_id)
            now = time.time()
            params = {
                "sid": study_id,
                "now": now,
                "beat": now if heartbeat else None,
                "ver": version,
            }
            row = conn.execute(_CLAIM, params).first()
            if row is None:  # another worker claimed the last one since we looked
                raise _NothingToClaim
            return row

        try:
            return _to_trial(self._write(work))
        except _NothingToClaim:
            return None

    def update_trial(
        self,
        study_id: int,
        number: int,
        *,
        state: TrialState | None = None,
        values: Sequence[float] | None = None,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        constraints: Sequence[float] | None = None,
        error: str | None = None,
        claim: str | None = None,
    ) -> FrozenTrial:
        changes: dict[str, Any] = {}
        if state is not None:
            changes["state"] = state.value
            if state.is_finished():
                changes["finished_at"] = time.time()
        if values is not None:
            changes["values_json"] = floats_to_json([float(v) for v in values])
        if params is not None and distributions is not None:
            changes["params_json"] = _params_json(params, distributions)
            changes["distributions_json"] = distributions_to_json(distributions)
        elif distributions is not None:
            changes["distributions_json"] = distributions_to_json(distributions)
        if user_attrs is not None:
            changes["user_attrs_json"] = dumps(dict(user_attrs))
        if intermediate_values is not None:
            changes["intermediate_json"] = intermediate_to_json(intermediate_values)
        if constraints is not None:
            changes["constraints_json"] = floats_to_json([float(c) for c in constraints])
        if error is not None:
            changes["error"] = error
        if claim is not None:
            changes["claim"] = claim
        key = {"sid": study_id, "num": number}

        def work(conn: sa.Connection) -> Sequence[Any]:
            version = conn.execute(_BUMP_VERSION, {"sid": study_id, "n": 1}).scalar()
            if version is None:
                raise _missing_study(study_id)
            if (params is None) != (distributions is None):
                # Params are stored relative to their distributions (a categorical's index), so
                # replacing only one side re-encodes against the stored other side.
                current = conn.execute(_CURRENT_PARAMS, key).first()
                if current is None:
                    raise _missing_trial(study_id, number)
                old_dists = distributions_from_json(current[1])
                dists = distributions if distributions is not None else old_dists
                ps = params if params is not None else params_from_json(current[0], old_dists)
                changes["params_json"] = _params_json(ps, dists)
            stmt = _update_statement(tuple(changes))
            row = conn.execute(stmt, {**key, "ver": version, **_prefixed(changes)}).first()
            if row is None:
                existing = conn.execute(_GET_TRIAL, key).first()
                if existing is None:
                    raise _missing_trial(study_id, number)
                check_updatable(_to_trial(existing))
                raise AssertionError("unreachable: an unfinished trial was not updated")
            return row

        try:
            return _to_trial(self._write(work))
        except sa_exc.IntegrityError:
            if claim is None:
                raise
            holder = self._read(
                lambda conn: conn.execute(
                    sa.select(_TR.c.number).where(_TR.c.study_id == study_id, _TR.c.claim == claim)
                ).scalar()
            )
            raise ClaimConflictError(f"{claim!r} is held by trial {holder}.") from None

    def trials_since(self, study_id: int, version: int) -> tuple[list[FrozenTrial], int]:
        rows = self._read(
            lambda conn: list(conn.execute(_SINCE, {"sid": study_id, "ver": version}))
        )
        if not rows:
            raise _missing_study(study_id)
        if rows[0][0] is None:  # the study exists; nothing changed
            return [], version
        rows.sort(key=_number)
        return [_to_trial(r) for r in rows], max(version, *(r[-1] for r in rows))

    def record_heartbeat(self, study_id: int, numbers: Sequence[int]) -> None:
        if not numbers:
            return
        params = {"sid": study_id, "nums": list(numbers), "now": time.time()}
        self._write(lambda conn: conn.execute(_HEARTBEAT, params))

    def fail_stale_trials(self, study_id: int) -> list[int]:
        if self.grace_period is None:
            return []
        cutoff = time.time() - self.grace_period
        query = {"sid": study_id, "cutoff": cutoff}
        # Checked often, rarely true: look without the write lock first.
        if not self._read(lambda conn: conn.execute(_STALE, query).first()):
            return []

        def work(conn: sa.Connection) -> list[int]:
            # Lock the study row first, as every other write does, so PostgreSQL cannot deadlock.
            if conn.execute(_LOCK_STUDY, {"sid": study_id}).first() is None:
                raise _missing_study(study_id)
            numbers = list(conn.execute(_STALE_LOCKED, query).scalars())
            if not numbers:
                return []
            end = conn.execute(_BUMP_VERSION, {"sid": study_id, "n": len(numbers)}).scalar_one()
            now = time.time()
            first = end - len(numbers) + 1
            conn.execute(
                _FAIL_STALE,
                [
                    {"sid": study_id, "num": num, "now": now, "ver": first + i}
                    for i, num in enumerate(numbers)
                ],
            )
            return numbers

        return self._write(work)


# -- helpers -----------------------------------------------------------------------------------
_LIVE: weakref.WeakSet[SQLStorage] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for storage in list(_LIVE):
        storage._dispose_after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _rebuild(
    url: str,
    heartbeat_interval: float | None,
    grace_period: float | None,
    engine_kwargs: dict[str, Any],
) -> SQLStorage:
    return SQLStorage(
        url,
        heartbeat_interval=heartbeat_interval,
        grace_period=grace_period,
        engine_kwargs=engine_kwargs,
    )


def run_migrations(connection: sa.Connection, revision: str = HEAD) -> None:
    """Upgrade the schema on ``connection`` to ``revision``, inside its current transaction.

    The caller owns the transaction (and the lock that keeps other processes out).
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _read_revision(conn: sa.Connection) -> str | None:
    try:
        value = conn.execute(_READ_REVISION).scalar()
    except (sa_exc.OperationalError, sa_exc.ProgrammingError) as exc:
        # No version table yet means a new database; anything else (busy, unreachable) is real.
        if "no such table" in str(exc.orig) or getattr(exc.orig, "sqlstate", None) == "42P01":
            return None
        raise
    return None if value is None else str(value)


def _check_timing(
    heartbeat_interval: float | None, grace_period: float | None
) -> tuple[float | None, float | None]:
    """Both options as floats (or None); the grace period must exceed the interval."""
    rule = "None or a number > 0"
    interval = check_float_or_none(
        heartbeat_interval, "heartbeat_interval", low=0.0, low_open=True, rule=rule
    )
    grace = check_float_or_none(grace_period, "grace_period", low=0.0, low_open=True, rule=rule)
    if interval is not None and grace is not None and grace <= interval:
        raise ValueError(
            "`grace_period` must exceed `heartbeat_interval` (or live trials would be failed), "
            f"but got (heartbeat_interval={heartbeat_interval!r}, grace_period={grace_period!r})."
        )
    return interval, grace


def _parse_url(url: Any) -> sa.URL:
    bad = ValueError(f"`storage` must be a database URL such as {_URL_EXAMPLES}, but got {url!r}.")
    if not isinstance(url, str):
        raise bad
    try:
        parsed = sa.make_url(url)
    except sa_exc.ArgumentError:
        raise bad from None
    backend, _, driver = parsed.drivername.partition("+")
    shown = parsed.render_as_string(hide_password=True)
    if backend == "sqlite" and driver in ("", "pysqlite"):
        db = parsed.database or ""
        if db in ("", ":memory:") or "mode=memory" in db:
            raise ValueError(
                f"`storage` must name a SQLite file such as 'sqlite:///tunesmith.db', but got "
                f"{shown!r}; an in-memory SQLite database cannot be shared, so use storage=None "
                "for a study in memory."
            )
        folder = Path(db).parent
        if not db.startswith("file:") and not folder.is_dir():
            raise ValueError(
                f"`storage` names a SQLite file in a folder that does not exist, but got "
                f"{shown!r}; create {str(folder)!r} first."
            )
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise MissingExtraError(
                "A PostgreSQL storage needs the psycopg driver: pip install 'tunesmith[postgres]'."
            ) from None
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(
        f"`storage` must be a SQLite or PostgreSQL URL such as {_URL_EXAMPLES}, but got {shown!r} "
        f"(dialect {parsed.drivername!r}); supported are 'sqlite' and 'postgresql+psycopg' "
        "(plain 'postgresql' means psycopg)."
    )


def _create_engines(url: sa.URL, engine_kwargs: dict[str, Any]) -> tuple[sa.Engine, sa.Engine]:
    """A writer engine and a reader engine (autocommit) on the same database."""
    kwargs = dict(engine_kwargs)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, **kwargs), sa.create_engine(
            url, **{**kwargs, "isolation_level": "AUTOCOMMIT"}
        )
    kwargs["connect_args"] = {"timeout": _SQLITE_BUSY_TIMEOUT, **kwargs.get("connect_args", {})}
    writer = sa.create_engine(url, **kwargs)
    reader = sa.create_engine(url, **kwargs)
    for engine in (writer, reader):
        sa.event.listen(engine, "connect", _sqlite_on_connect)
    sa.event.listen(writer, "begin", _sqlite_begin)
    return writer, reader


def _sqlite_on_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # The driver must not emit BEGIN itself: writes BEGIN IMMEDIATE (below), reads autocommit.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL persists in the file; switching needs a brief exclusive lock, so only do it once.
        if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes of the process
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # Take the write lock up front: a deferred transaction that reads and then writes can fail
    # with SQLITE_BUSY at once, without waiting, when another writer got in between.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def _missing_study(study_id: int) -> KeyError:
    return KeyError(f"study_id={study_id} does not exist (was the study deleted?).")


def _missing_trial(study_id: int, number: int) -> KeyError:
    return KeyError(f"Trial {number} does not exist in study_id={study_id}.")


def _params_json(params: Mapping[str, Any], distributions: Mapping[str, Distribution]) -> str:
    missing = [name for name in params if name not in distributions]
    if missing:
        raise ValueError(
            f"Every parameter needs its distribution, but {missing} have none in "
            f"{sorted(distributions)}."
        )
    return params_to_json(params, distributions)


def _trial_row(trial: FrozenTrial, heartbeat_at: float | None) -> dict[str, Any]:
    return {
        "state": trial.state.value,
        "values_json": floats_to_json(trial.values),
        "params_json": _params_json(trial.params, trial.distributions),
        "distributions_json": distributions_to_json(trial.distributions),
        "user_attrs_json": dumps(trial.user_attrs),
        "intermediate_json": intermediate_to_json(trial.intermediate_values),
        "constraints_json": floats_to_json(trial.constraints),
        "error": trial.error,
        "claim": None,
        "started_at": to_timestamp(trial.datetime_start),
        "finished_at": to_timestamp(trial.datetime_complete),
        "heartbeat_at": heartbeat_at,
    }


# Rows of one study share a handful of distinct distribution texts; parse each once.
_DISTRIBUTIONS: dict[str, dict[str, Distribution]] = {}


def _distributions(text: str | None) -> dict[str, Distribution]:
    if not text:
        return {}
    dists = _DISTRIBUTIONS.get(text)
    if dists is None:
        if len(_DISTRIBUTIONS) >= 4096:
            _DISTRIBUTIONS.clear()
        dists = _DISTRIBUTIONS[text] = distributions_from_json(text)
    return dict(dists)  # a copy: records must not share a mutable dict


@functools.lru_cache(maxsize=256)
def _update_statement(columns: tuple[str, ...]) -> sa.UpdateBase:
    """The UPDATE of ``update_trial`` for one set of changed columns (built once per set)."""
    # The state condition makes "refuse a finished trial" atomic with the write.
    return (
        sa.update(_TR)
        .where(
            _TR.c.study_id == _sid,
            _TR.c.number == sa.bindparam("num"),
            _TR.c.state.in_(_ACTIVE),
        )
        .values(
            {**{col: sa.bindparam(f"new_{col}") for col in columns}, "version": sa.bindparam("ver")}
        )
        .returning(*_TRIAL_COLS)
    )


def _prefixed(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {f"new_{col}": value for col, value in changes.items()}


def _number(row: Sequence[Any]) -> int:
    return int(row[0])


def _to_trial(row: Sequence[Any]) -> FrozenTrial:
    dists = _distributions(row[4])
    return FrozenTrial(
        number=row[0],
        state=_STATES[row[1]],
        values=floats_from_json(row[2]),
        params=params_from_json(row[3], dists),
        distributions=dists,
        user_attrs=json.loads(row[5]) if row[5] else {},
        intermediate_values=intermediate_from_json(row[6]),
        constraints=floats_from_json(row[7]),
        error=row[8],
        datetime_start=from_timestamp(row[9]),
        datetime_complete=from_timestamp(row[10]),
    )
