"""What only the SQL storage does: URLs, schema and migrations, heartbeats, concurrency."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import pickle
import shutil
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tunesmith._errors import (
    ClaimConflictError,
    DuplicatedStudyError,
    MissingExtraError,
    TrialFinishedError,
)
from tunesmith.records import FrozenTrial, TrialState
from tunesmith.space import Categorical, Distribution, Float, Int
from tunesmith.storages import SQLStorage, _schema, get_storage
from tunesmith.storages._base import STALE_TRIAL_ERROR
from tunesmith.storages._sql import _MIGRATIONS_DIR, HEAD, REVISIONS

from .conftest import Backend

UTC = timezone.utc
DATA = Path(__file__).parent.parent / "data"
RUNNING = FrozenTrial(number=-1, state=TrialState.RUNNING)
WAITING = FrozenTrial(number=-1, state=TrialState.WAITING)


def _sql(backend: Backend, **kwargs: Any) -> SQLStorage:
    storage = backend.make(**kwargs)
    assert isinstance(storage, SQLStorage)
    return storage


def _sqlite_path(backend: Backend) -> str:
    assert backend.url is not None
    return backend.url.removeprefix("sqlite:///")


def _run_threads(n: int, target: Callable[[int], None]) -> None:
    """Start ``n`` threads together and re-raise the first error any of them hit."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


# -- URLs and arguments ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["foo", "", "sqlite:/relative.db", "not a url"])
def test_malformed_url_is_refused_with_the_rule_and_the_value(url: str) -> None:
    for call in (SQLStorage, get_storage):
        with pytest.raises(ValueError) as info:
            call(url)
        message = str(info.value)
        assert message.startswith("`storage` must be a database URL such as")
        assert "'sqlite:///tunesmith.db'" in message
        assert "'postgresql+psycopg://user@host/db'" in message
        assert f"but got {url!r}." in message


@pytest.mark.parametrize(
    ("url", "dialect"),
    [
        ("mysql://user:secret@host/db", "mysql"),
        ("postgresql+psycopg2://user:secret@host/db", "postgresql+psycopg2"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("http://example.com", "http"),
    ],
)
def test_unsupported_dialect_is_refused(url: str, dialect: str) -> None:
    with pytest.raises(ValueError) as info:
        SQLStorage(url)
    message = str(info.value)
    assert message.startswith("`storage` must be a SQLite or PostgreSQL URL")
    assert f"(dialect {dialect!r})" in message
    assert "'sqlite'" in message and "'postgresql+psycopg'" in message
    assert "secret" not in message  # passwords are masked


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"must name a SQLite file.*storage=None"):
        SQLStorage(url)


def test_sqlite_file_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}"
    with pytest.raises(ValueError, match=r"folder that does not exist.*'.*nowhere' first"):
        SQLStorage(url)


def test_missing_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what `import psycopg` meets when absent
    with pytest.raises(MissingExtraError, match=r"pip install 'tunesmith\[postgres\]'"):
        SQLStorage("postgresql://user@localhost/db")


def test_timing_arguments_are_checked(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(ValueError, match=r"`heartbeat_interval` must be None or a number > 0"):
        SQLStorage(url, heartbeat_interval=0)
    with pytest.raises(
        ValueError,
        match=r"`grace_period` must exceed `heartbeat_interval`.*"
        r"heartbeat_interval=10.*grace_period=5",
    ):
        SQLStorage(url, heartbeat_interval=10, grace_period=5)
    assert not (tmp_path / "x.db").exists()  # nothing was opened


def test_plain_postgresql_url_means_psycopg(sql_backend: Backend) -> None:
    if sql_backend.kind != "postgresql":
        pytest.skip("PostgreSQL only")
    assert sql_backend.url is not None
    plain = sql_backend.url.replace("postgresql+psycopg://", "postgresql://", 1)
    storage = SQLStorage(plain)
    try:
        assert repr(storage).startswith("SQLStorage('postgresql+psycopg://")
        storage.create_study("plain", ["minimize"])
        assert [s.name for s in _sql(sql_backend).list_studies()] == ["plain"]
    finally:
        storage.close()


# -- schema and migrations ---------------------------------------------------------------------


def test_head_constant_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(_MIGRATIONS_DIR))
    assert script.get_current_head() == HEAD
    assert [r.revision for r in reversed(list(script.walk_revisions()))] == list(REVISIONS)


def test_migrated_schema_matches_the_table_definitions(sql_backend: Backend) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    storage = _sql(sql_backend)
    with storage._writer.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": _schema.VERSION_TABLE})
        assert context.get_current_revision() == HEAD
        assert compare_metadata(context, _schema.metadata) == []


def test_schema_has_no_binary_or_pickle_column(sql_backend: Backend) -> None:
    storage = _sql(sql_backend)
    sid = storage.create_study("s", ["minimize"]).study_id
    dists = {"x": Float(0.0, 1.0), "c": Categorical([None, (1, "a")])}
    storage.create_trials(
        sid,
        [
            FrozenTrial(
                number=-1,
                state=TrialState.COMPLETE,
                values=(1.0,),
                params={"x": 0.5, "c": (1, "a")},
                distributions=dists,
                user_attrs={"k": [1]},
                intermediate_values={0: math.inf},
                constraints=(0.0,),
                error="e",
            )
        ],
    )
    inspector = sa.inspect(storage._writer)
    tables = inspector.get_table_names()
    assert {"tunesmith_studies", "tunesmith_trials", _schema.VERSION_TABLE} <= set(tables)
    for table in tables:
        for column in inspector.get_columns(table):
            kind = column["type"]
            assert not isinstance(kind, (sa.LargeBinary, sa.PickleType)), (table, column)
            assert not any(b in str(kind).upper() for b in ("BLOB", "BYTEA", "BINARY"))
            assert "pickle" not in column["name"]
    with storage._reader.connect() as conn:
        row = conn.execute(sa.select(_schema.trials)).mappings().one()
    for name, value in row.items():
        assert value is None or isinstance(value, (str, int, float)), name
        if name.endswith("_json") and value is not None:
            assert isinstance(value, str)
            json.loads(value)  # readable by anything that reads JSON


def test_sqlite_runs_in_wal_mode_with_safe_settings(sql_backend: Backend) -> None:
    if sql_backend.kind != "sqlite":
        pytest.skip("SQLite only")
    storage = _sql(sql_backend)
    storage.create_study("s", ["minimize"])
    with sqlite3.connect(_sqlite_path(sql_backend)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for engine in (storage._writer, storage._reader):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_sqlite_hot_queries_use_indexes(sql_backend: Backend) -> None:
    """No per-call statement scans the trials of a study: cost stays flat as a study grows."""
    if sql_backend.kind != "sqlite":
        pytest.skip("SQLite only")
    from tunesmith.storages import _sql as sql

    storage = _sql(sql_backend)
    sid = storage.create_study("s", ["minimize"]).study_id
    storage.create_trials(sid, [RUNNING] * 50 + [WAITING] * 5)
    params = {
        "sid": sid,
        "ver": 3,
        "num": 2,
        "nums": [1, 2],
        "now": 0.0,
        "beat": None,
        "cutoff": 0.0,
        "n": 1,
        "name": "s",
    }
    statements = {
        "trials_since": (sql._SINCE, "ix_trials_study_version"),
        "has_waiting": (sql._HAS_WAITING, "ix_trials_study_state"),
        "claim": (sql._CLAIM, "ix_trials_study_state"),
        "stale": (sql._STALE_LOCKED, "ix_trials_study_state"),
        "heartbeat": (sql._HEARTBEAT, "(study_id=? AND state=? AND number=?)"),
        "update": (sql._update_statement(("state",)), "(study_id=? AND number=?)"),
    }
    plans: list[list[str]] = []

    def explain(conn: Any, cursor: Any, statement: str, *args: Any) -> tuple[str, Any]:
        return f"EXPLAIN QUERY PLAN {statement}", args[0]

    def keep_plan(conn: Any, cursor: Any, *args: Any) -> None:
        plans.append([row[-1] for row in cursor.fetchall()])

    with storage._reader.connect() as conn:  # the reader autocommits: nothing is changed
        sa.event.listen(conn, "before_cursor_execute", explain, retval=True)
        sa.event.listen(conn, "after_cursor_execute", keep_plan)
        for name, (statement, index) in statements.items():
            conn.execute(statement, {**params, "new_state": "RUNNING"})
            plan = plans[-1]
            assert not any(step.startswith("SCAN") for step in plan), (name, plan)
            assert any(index in step for step in plan), (name, plan)


def _v1_expected() -> dict[str, list[FrozenTrial]]:
    def at(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    act = Categorical(["relu", None, True, 1, 1.0, (1, "a")])
    dists = {"x": Float(-1.0, 1.0), "n": Int(1, 1024, log=True), "act": act}
    return {
        "alpha": [
            FrozenTrial(
                number=0,
                state=TrialState.COMPLETE,
                values=(0.5,),
                params={"x": 0.1, "n": 37, "act": (1, "a")},
                distributions=dists,
                user_attrs={"note": "first", "folds": [0.5, 0.25]},
                intermediate_values={0: 1.0, 1: math.inf, 2: math.nan, 3: -math.inf},
                datetime_start=at(1700000001.5),
                datetime_complete=at(1700000002.75),
            ),
            FrozenTrial(
                number=1,
                state=TrialState.PRUNED,
                params={"x": -0.30000000000000004, "n": 1, "act": True},
                distributions=dists,
                intermediate_values={0: 2.0, 1: 3.5},
                datetime_start=at(1700000003.0),
                datetime_complete=at(1700000004.0),
            ),
            FrozenTrial(
                number=2,
                state=TrialState.FAIL,
                params={"x": 1.0, "n": 1024, "act": None},
                distributions=dists,
                error="ValueError: boom",
                datetime_start=at(1700000005.0),
                datetime_complete=at(1700000005.5),
            ),
            FrozenTrial(
                number=3,
                state=TrialState.RUNNING,
                params={"x": 0.0, "n": 2, "act": "relu"},
                distributions=dists,
                datetime_start=at(1700000006.0),
            ),
            FrozenTrial(
                number=4,
                state=TrialState.WAITING,
                params={"act": 1.0},
                distributions={"act": act},
                user_attrs={"enqueued": True},
            ),
        ],
        "beta": [
            FrozenTrial(
                number=0,
                state=TrialState.COMPLETE,
                values=(1.0, -2.5),
                datetime_start=at(1700000101.0),
                datetime_complete=at(1700000102.0),
            ),
            FrozenTrial(number=1, state=TrialState.RUNNING, datetime_start=at(1700000103.0)),
        ],
    }


def test_schema_v1_file_is_upgraded_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    shutil.copy(DATA / "schema_v1.db", path)
    with sqlite3.connect(path) as raw:
        version_sql = f"SELECT version_num FROM {_schema.VERSION_TABLE}"
        assert raw.execute(version_sql).fetchall() == [("0001",)]
    storage = SQLStorage(f"sqlite:///{path}")
    try:
        with sqlite3.connect(path) as raw:
            assert raw.execute(version_sql).fetchall() == [(HEAD,)]
        assert [(s.name, s.directions, s.n_trials) for s in storage.list_studies()] == [
            ("alpha", ("minimize",), 5),
            ("beta", ("minimize", "maximize"), 2),
        ]
        assert storage.get_study("beta").created_at == datetime.fromtimestamp(1700000100.5, UTC)
        for name, expected in _v1_expected().items():
            sid = storage.get_study(name).study_id
            trials, version = storage.trials_since(sid, 0)
            assert version == {"alpha": 7, "beta": 2}[name]
            assert [repr(t) for t in trials] == [repr(t) for t in expected]

        # Writing continues where the old version left off.
        alpha = storage.get_study("alpha").study_id
        dists: dict[str, Distribution] = {"x": Float(-1.0, 1.0)}
        [n] = storage.create_trials(
            alpha,
            [
                FrozenTrial(
                    number=-1, state=TrialState.RUNNING, params={"x": 0.75}, distributions=dists
                )
            ],
        )
        assert n == 5
        done = storage.update_trial(
            alpha, n, state=TrialState.COMPLETE, values=[0.25], constraints=[-1.0, 2.0]
        )
        with pytest.raises(ClaimConflictError):  # claims made by the old version still hold
            storage.update_trial(alpha, 3, claim="grid:0")
        claimed = storage.claim_waiting_trial(alpha)
        assert claimed is not None and (claimed.number, claimed.params) == (4, {"act": 1.0})
        changed, version = storage.trials_since(alpha, 7)
        assert [(t.number, t.state) for t in changed] == [
            (4, TrialState.RUNNING),
            (5, TrialState.COMPLETE),
        ]
        assert repr(changed[1]) == repr(done) and done.constraints == (-1.0, 2.0)
        assert version == 10  # create, tell, claim
        # The RUNNING trial's heartbeat is from 2023: long stale.
        assert storage.fail_stale_trials(alpha) == [3]
    finally:
        storage.close()


def test_schema_newer_than_this_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLStorage(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as raw:
        raw.execute(f"UPDATE {_schema.VERSION_TABLE} SET version_num = '0099'")
    with pytest.raises(RuntimeError, match=r"revision '0099'.*upgrade tunesmith"):
        SQLStorage(f"sqlite:///{path}")


def test_reopening_keeps_everything(sql_backend: Backend) -> None:
    first = _sql(sql_backend)
    sid = first.create_study("s", ["maximize"]).study_id
    first.create_trials(sid, [RUNNING] * 3)
    first.update_trial(sid, 1, state=TrialState.COMPLETE, values=[2.0])
    before = first.trials_since(sid, 0)
    first.close()
    again = _sql(sql_backend)
    assert repr(again.trials_since(sid, 0)) == repr(before)
    assert again.create_trials(sid, [RUNNING]) == [3]


def test_storage_pickles_to_a_storage_on_the_same_database(sql_backend: Backend) -> None:
    storage = _sql(sql_backend, heartbeat_interval=1.0, grace_period=5.0)
    sid = storage.create_study("s", ["minimize"]).study_id
    copy = pickle.loads(pickle.dumps(storage))
    try:
        assert isinstance(copy, SQLStorage) and copy is not storage
        assert (copy.heartbeat_interval, copy.grace_period) == (1.0, 5.0)
        assert copy.create_trials(sid, [RUNNING]) == [0]
        assert [t.number for t in storage.trials_since(sid, 0)[0]] == [0]
    finally:
        copy.close()


def test_values_that_are_not_json_are_refused_before_writing(sql_backend: Backend) -> None:
    storage = _sql(sql_backend)
    sid = storage.create_study("s", ["minimize"]).study_id
    odd = Categorical(["ok", frozenset({1})])
    bad = FrozenTrial(
        number=-1, state=TrialState.RUNNING, params={"c": "ok"}, distributions={"c": odd}
    )
    with pytest.raises(TypeError, match="cannot be stored as JSON"):
        storage.create_trials(sid, [RUNNING, bad])
    assert storage.trials_since(sid, 0) == ([], 0)
    assert storage.create_trials(sid, [RUNNING]) == [0]  # no number was used up
    with pytest.raises(TypeError, match="cannot be stored as JSON"):
        storage.update_trial(sid, 0, params={"c": "ok"}, distributions={"c": odd})
    with pytest.raises(ValueError, match="JSON"):
        storage.update_trial(sid, 0, user_attrs={"v": math.nan})
    [trial], _ = storage.trials_since(sid, 0)
    assert (trial.params, trial.user_attrs) == ({}, {})


def test_create_study_duplicate_is_atomic_across_objects(sql_backend: Backend) -> None:
    storages = [_sql(sql_backend) for _ in range(4)]
    outcomes: list[str] = []

    def create(i: int) -> None:
        try:
            storages[i].create_study("race", ["minimize"])
            outcomes.append("created")
        except DuplicatedStudyError:
            outcomes.append("duplicate")

    _run_threads(4, create)
    assert sorted(outcomes) == ["created", "duplicate", "duplicate", "duplicate"]


# -- heartbeats --------------------------------------------------------------------------------


def test_trials_whose_heartbeat_stops_are_failed(sql_backend: Backend) -> None:
    worker = _sql(sql_backend, heartbeat_interval=0.05, grace_period=0.2)
    reaper = _sql(sql_backend, heartbeat_interval=0.05, grace_period=0.2)  # another process
    sid = worker.create_study("s", ["minimize"]).study_id
    assert worker.create_trials(sid, [RUNNING], heartbeat=True) == [0]  # will die
    assert worker.create_trials(sid, [RUNNING]) == [1]  # ask/tell without heartbeat
    assert worker.create_trials(sid, [RUNNING], heartbeat=True) == [2]  # keeps beating
    assert worker.create_trials(sid, [WAITING, WAITING]) == [3, 4]
    assert worker.claim_waiting_trial(sid, heartbeat=True) is not None  # 3: will die
    assert worker.claim_waiting_trial(sid) is not None  # 4: no heartbeat
    done = FrozenTrial(number=-1, state=TrialState.COMPLETE, values=(1.0,))
    assert worker.create_trials(sid, [done], heartbeat=True) == [5]

    _, version = worker.trials_since(sid, 0)
    stop = time.monotonic() + 0.35
    while time.monotonic() < stop:
        worker.record_heartbeat(sid, [2])
        time.sleep(0.04)
    worker.record_heartbeat(sid, [2])
    assert worker.trials_since(sid, version) == ([], version)  # beats change no version

    before = datetime.now(UTC)
    assert reaper.fail_stale_trials(sid) == [0, 3]
    changed, new_version = worker.trials_since(sid, version)
    assert new_version > version
    assert [(t.number, t.state, t.error) for t in changed] == [
        (0, TrialState.FAIL, STALE_TRIAL_ERROR),
        (3, TrialState.FAIL, STALE_TRIAL_ERROR),
    ]
    for t in changed:
        assert t.datetime_complete is not None
        assert t.datetime_complete.timestamp() >= before.timestamp() - 0.01
    states = {t.number: t.state for t in worker.trials_since(sid, 0)[0]}
    assert states == {
        0: TrialState.FAIL,
        1: TrialState.RUNNING,
        2: TrialState.RUNNING,
        3: TrialState.FAIL,
        4: TrialState.RUNNING,
        5: TrialState.COMPLETE,
    }
    assert reaper.fail_stale_trials(sid) == []

    # The dead worker's late tell is refused with the reason, and a late beat revives nothing.
    with pytest.raises(TrialFinishedError, match="heartbeat lost"):
        worker.update_trial(sid, 0, state=TrialState.COMPLETE, values=[0.0])
    worker.record_heartbeat(sid, [0, 3])
    assert worker.trials_since(sid, new_version) == ([], new_version)


def test_without_grace_period_nothing_is_failed(sql_backend: Backend) -> None:
    storage = _sql(sql_backend, heartbeat_interval=0.01, grace_period=None)
    sid = storage.create_study("s", ["minimize"]).study_id
    storage.create_trials(sid, [RUNNING], heartbeat=True)
    time.sleep(0.05)
    assert storage.fail_stale_trials(sid) == []
    assert storage.trials_since(sid, 0)[0][0].state is TrialState.RUNNING


# -- concurrency -------------------------------------------------------------------------------


def test_parallel_create_trials_get_unique_gap_free_numbers(sql_backend: Backend) -> None:
    sid = _sql(sql_backend).create_study("s", ["minimize"]).study_id
    storages = [_sql(sql_backend) for _ in range(4)]
    got: list[list[int]] = [[] for _ in storages]

    def create(i: int) -> None:
        for _ in range(50):
            got[i].extend(storages[i].create_trials(sid, [RUNNING]))

    _run_threads(4, create)
    for numbers in got:
        assert len(numbers) == 50 and numbers == sorted(numbers)
    assert sorted(n for numbers in got for n in numbers) == list(range(200))
    assert [t.number for t in storages[0].trials_since(sid, 0)[0]] == list(range(200))
    assert storages[0].list_studies()[0].n_trials == 200


def test_parallel_claims_take_each_waiting_trial_once(sql_backend: Backend) -> None:
    sid = _sql(sql_backend).create_study("s", ["minimize"]).study_id
    storages = [_sql(sql_backend) for _ in range(4)]
    storages[0].create_trials(sid, [WAITING] * 40)
    got: list[list[int]] = [[] for _ in storages]

    def claim(i: int) -> None:
        while (trial := storages[i].claim_waiting_trial(sid)) is not None:
            got[i].append(trial.number)

    _run_threads(4, claim)
    assert sorted(n for numbers in got for n in numbers) == list(range(40))
    assert {t.state for t in storages[0].trials_since(sid, 0)[0]} == {TrialState.RUNNING}


def test_incremental_sync_misses_no_write(sql_backend: Backend) -> None:
    """Versions commit in order, so a reader following ``trials_since`` never skips one."""
    sid = _sql(sql_backend).create_study("s", ["minimize"]).study_id
    writers = [_sql(sql_backend) for _ in range(4)]
    reader = _sql(sql_backend)
    done = threading.Event()
    cache: dict[int, str] = {}
    version = 0

    def write(i: int) -> None:
        for k in range(15):
            [n] = writers[i].create_trials(sid, [RUNNING])
            writers[i].update_trial(sid, n, user_attrs={"w": i})
            writers[i].update_trial(sid, n, state=TrialState.COMPLETE, values=[float(k)])

    def read() -> None:
        nonlocal version
        while not done.is_set():
            changed, version = reader.trials_since(sid, version)
            cache.update((t.number, repr(t)) for t in changed)

    follower = threading.Thread(target=read)
    follower.start()
    try:
        _run_threads(4, write)
    finally:
        done.set()
        follower.join()
    changed, version = reader.trials_since(sid, version)
    cache.update((t.number, repr(t)) for t in changed)
    everything, final = reader.trials_since(sid, 0)
    assert final == version
    assert cache == {t.number: repr(t) for t in everything}
    assert len(cache) == 60 and all(t.state is TrialState.COMPLETE for t in everything)


def _hold_write_lock(backend: Backend, study_id: int, seconds: float) -> threading.Thread:
    """Another connection takes the write lock (SQLite) / the study row (PostgreSQL)."""
    assert backend.url is not None
    if backend.kind == "sqlite":
        raw: Any = sqlite3.connect(
            _sqlite_path(backend), isolation_level=None, check_same_thread=False
        )
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE tunesmith_studies SET created_at = created_at")
    else:
        import psycopg

        raw = psycopg.connect(backend.url.replace("postgresql+psycopg://", "postgresql://"))
        raw.execute("SELECT id FROM tunesmith_studies WHERE id = %s FOR UPDATE", (study_id,))

    def release() -> None:
        time.sleep(seconds)
        raw.commit()
        raw.close()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


@pytest.mark.parametrize("driver_wait", [True, False], ids=["driver-waits", "retry-loop-waits"])
def test_a_long_write_transaction_elsewhere_delays_but_never_fails_a_write(
    sql_backend: Backend, driver_wait: bool
) -> None:
    if not driver_wait and sql_backend.kind != "sqlite":
        pytest.skip("PostgreSQL waits for row locks itself")
    # With SQLite's own busy timeout cut to 10 ms, only the retry loop can bridge the wait.
    kwargs = {} if driver_wait else {"engine_kwargs": {"connect_args": {"timeout": 0.01}}}
    storage = _sql(sql_backend, **kwargs)
    sid = storage.create_study("s", ["minimize"]).study_id
    storage.create_trials(sid, [RUNNING])
    holder = _hold_write_lock(sql_backend, sid, 0.3)
    start = time.monotonic()
    try:
        assert storage.create_trials(sid, [RUNNING]) == [1]
        assert time.monotonic() - start >= 0.25  # it really waited for the other transaction
        assert storage.update_trial(sid, 0, state=TrialState.COMPLETE, values=[1.0]).values == (
            1.0,
        )
    finally:
        holder.join()


def test_a_write_gives_up_with_a_clear_error_after_the_retry_budget(tmp_path: Path) -> None:
    backend = Backend("sqlite", f"sqlite:///{tmp_path / 'busy.db'}")
    storage = _sql(backend, engine_kwargs={"connect_args": {"timeout": 0.01}})
    try:
        storage._retry_seconds = 0.1
        sid = storage.create_study("s", ["minimize"]).study_id
        holder = _hold_write_lock(backend, sid, 0.4)
        try:
            with pytest.raises(TimeoutError, match=r"busy for 0.1 s.*database is locked"):
                storage.create_trials(sid, [RUNNING])
            assert storage.trials_since(sid, 0) == ([], 0)  # reads are not blocked (WAL)
        finally:
            holder.join()
        assert storage.create_trials(sid, [RUNNING]) == [0]
    finally:
        backend.close()


# -- processes ---------------------------------------------------------------------------------


def _mp_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _process_worker(url: str, barrier: Any, results: Any) -> None:
    try:
        barrier.wait()
        storage = SQLStorage(url)  # all open the new database at once: one migrates
        try:
            sid = storage.create_study("mp", ["minimize"]).study_id
        except DuplicatedStudyError:
            sid = storage.get_study("mp").study_id
        numbers = []
        for k in range(15):
            [n] = storage.create_trials(sid, [RUNNING], heartbeat=True)
            storage.record_heartbeat(sid, [n])
            storage.update_trial(sid, n, state=TrialState.COMPLETE, values=[float(k)])
            numbers.append(n)
        storage.close()
        results.put(("ok", numbers))
    except BaseException as exc:
        results.put(("error", repr(exc)))


@pytest.mark.slow
def test_processes_opening_a_new_database_at_once_share_it(sql_backend: Backend) -> None:
    assert sql_backend.url is not None
    ctx = _mp_context()
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [
        ctx.Process(target=_process_worker, args=(sql_backend.url, barrier, results))
        for _ in range(4)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert [kind for kind, _ in outcomes] == ["ok"] * 4, outcomes
    assert sorted(n for _, numbers in outcomes for n in numbers) == list(range(60))
    storage = _sql(sql_backend)
    sid = storage.get_study("mp").study_id
    trials, _ = storage.trials_since(sid, 0)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 60


def _pooled(engine: sa.Engine) -> int:
    """Idle connections in the engine's pool."""
    pool = engine.pool
    assert isinstance(pool, sa.QueuePool)
    return pool.checkedin()


def _forked_child(storage: SQLStorage, study_id: int, results: Any) -> None:
    try:
        # The parent's pooled connection must not be reused here: the fork hook dropped it.
        pooled = _pooled(storage._writer) + _pooled(storage._reader)
        numbers = [storage.create_trials(study_id, [RUNNING])[0] for _ in range(20)]
        results.put(("ok", pooled, numbers))
    except BaseException as exc:
        results.put(("error", repr(exc), []))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_storage_used_across_fork_does_not_share_connections(sql_backend: Backend) -> None:
    storage = _sql(sql_backend)
    sid = storage.create_study("s", ["minimize"]).study_id
    storage.create_trials(sid, [RUNNING])
    storage.trials_since(sid, 0)
    assert _pooled(storage._writer) == 1 and _pooled(storage._reader) == 1
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    child = ctx.Process(target=_forked_child, args=(storage, sid, results))
    child.start()
    mine = [storage.create_trials(sid, [RUNNING])[0] for _ in range(20)]
    kind, pooled, theirs = results.get(timeout=60)
    child.join(timeout=60)
    assert (kind, pooled) == ("ok", 0)
    assert sorted([0, *mine, *theirs]) == list(range(41))
    assert len(storage.trials_since(sid, 0)[0]) == 41  # the parent's connections still work
