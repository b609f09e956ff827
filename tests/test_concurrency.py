"""Many OS processes on one SQL storage: contention, crashes and resuming.

Every case runs real worker processes against one database, once on a SQLite file and once on
PostgreSQL:

* ``optimize`` and ``ask``/``tell`` from 4 processes at once, on a study created beforehand and on
  a brand-new storage (the processes then race to create the schema and the study);
* enqueued trials drained by 4 processes: each runs exactly once;
* ``GridSampler`` shared by 4 processes: every grid point evaluated exactly once;
* a worker killed with SIGKILL mid-trial: its trial becomes FAIL with ``STALE_TRIAL_ERROR`` (failed
  by the workers that go on, or by ``fail_stale_trials``) and nothing stays RUNNING;
* a study resumed by a second process: numbering continues, a seeded sampler does not repeat;
* ``optimize(n_jobs=2)``, which forks worker processes.

Workers run the script ``_WORKER``: they report that they are ready and wait for a "go" file, so
that their storage calls overlap; their stdout and stderr go to files; the last stdout line is a
JSON summary. ``import tunesmith`` takes 1.5-2.5 s on a 2-core machine, so most workers are
forked from a ``multiprocessing`` forkserver that has imported tunesmith once: each is still a new
OS process that shares nothing with the test process (no connection, no study object). The race on
a brand-new SQLite file uses plain ``python -c`` interpreters instead.

The PostgreSQL cases skip unless ``TUNESMITH_TEST_POSTGRES_URL`` is set, for example::

    TUNESMITH_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test pytest tests

They run in a private database created for this module (when the user may CREATE DATABASE, else
in the configured one), each test in a study named with a uuid that it deletes afterwards; the
race on a brand-new storage gets a database of its own.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import multiprocessing.process
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import tunesmith as ts
from tunesmith.storages import SQLStorage
from tunesmith.storages._base import STALE_TRIAL_ERROR

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL"),
]

POSTGRES_ENV = "TUNESMITH_TEST_POSTGRES_URL"
WAIT_SECONDS = 120.0  # a worker that takes longer is hung: kill it and fail the test

# The worker: run as ``python -c _WORKER <json config>`` or, in a process forked from a server
# that has imported tunesmith, as ``exec(_WORKER, {"CONFIG": <json config>})``. See ``_config``.
_WORKER = r"""
import json, os, sys, time
from pathlib import Path

cfg = json.loads(globals().get("CONFIG") or sys.argv[1])
for fd, path in ((1, cfg["stdout"]), (2, cfg["stderr"])):
    sys.stdout.flush()
    sys.stderr.flush()
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(target, fd)
    os.close(target)

import tunesmith as ts
from tunesmith.storages import SQLStorage

sync = Path(cfg["sync_dir"])
worker = cfg["worker"]
(sync / f"ready-{worker}").touch()
give_up = time.monotonic() + 60.0
while not (sync / "go").exists():
    if time.monotonic() > give_up:
        sys.exit(f"worker {worker}: no go signal within 60 s")
    time.sleep(0.005)

mode = cfg["mode"]
if cfg.get("heartbeat"):
    storage = SQLStorage(cfg["url"], heartbeat_interval=cfg["heartbeat"][0],
                         grace_period=cfg["heartbeat"][1])
else:
    storage = cfg["url"]
if mode == "grid":
    sampler = ts.samplers.GridSampler(
        {"a": ts.Int(0, cfg["grid"][0] - 1), "b": ts.Int(0, cfg["grid"][1] - 1)})
else:
    sampler = ts.samplers.RandomSampler(seed=cfg.get("seed"))
if cfg["open"] == "load":
    study = ts.load_study(cfg["study"], storage, sampler=sampler)
else:
    study = ts.create_study(cfg["study"], storage, sampler=sampler, load_if_exists=True)

numbers = []
summary = {"worker": worker, "numbers": numbers}


def record(study, frozen):
    numbers.append(frozen.number)


if mode == "optimize":
    def objective(trial):
        trial.set_user_attr("worker", worker)
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_int("y", 0, 10)
        return (x - 1.0) ** 2 + y

    study.optimize(objective, n_trials=cfg["n_trials"], callbacks=[record])

elif mode == "ask_tell":
    space = {"lr": ts.Float(1e-5, 1e-1, log=True), "layers": ts.Int(1, 6),
             "act": ts.Categorical(["relu", "gelu"])}
    for _ in range(cfg["n_trials"]):
        trial = study.ask(space)
        trial.set_user_attr("worker", worker)
        p = trial.params
        numbers.append(study.tell(trial, p["lr"] * p["layers"]).number)

elif mode == "grid":
    evaluated = []

    def objective(trial):
        a = trial.suggest_int("a", 0, cfg["grid"][0] - 1)
        b = trial.suggest_int("b", 0, cfg["grid"][1] - 1)
        evaluated.append([a, b])
        return a * 100 + b

    study.optimize(objective, n_trials=None, callbacks=[record])
    summary["evaluated"] = evaluated

elif mode == "victim":
    def objective(trial):
        trial.suggest_float("x", 0.0, 1.0)
        tmp = sync / "marker.tmp"
        tmp.write_text(json.dumps({"number": trial.number}))
        tmp.replace(sync / "marker")
        time.sleep(600.0)  # killed here
        return 0.0

    study.optimize(objective, n_trials=1)

elif mode == "survivor":
    def objective(trial):
        time.sleep(0.01)
        return trial.suggest_float("x", 0.0, 1.0)

    def stop_when_told(study, frozen):
        record(study, frozen)
        if (sync / "stop").exists():
            study.stop()

    study.optimize(objective, n_trials=cfg["n_trials"], timeout=90.0,
                   callbacks=[stop_when_told])

elif mode == "resume":
    def objective(trial):
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_float("y", -5.0, 5.0)
        return (x - 1.0) ** 2 + (y + 2.0) ** 2

    study.optimize(objective, n_trials=cfg["n_trials"], callbacks=[record])
    summary["best_value"] = study.best_value
    summary["n_seen"] = len(study.trials)

else:
    sys.exit(f"unknown mode {mode!r}")

print(json.dumps(summary))
"""


# -- plumbing ----------------------------------------------------------------------------------
_FORKSERVER_PRELOAD = ["tunesmith", "tunesmith.storages._sql"]


@dataclass
class Finished:
    """A worker process that has exited."""

    name: str
    returncode: int
    stdout: str
    stderr: str

    def summary(self) -> dict[str, Any]:
        """The JSON line the worker printed last."""
        lines = self.stdout.strip().splitlines()
        assert lines, f"{self.name} printed nothing on stdout; stderr:\n{self.stderr}"
        result: dict[str, Any] = json.loads(lines[-1])
        return result


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


@dataclass
class Worker:
    """A running worker process (either kind) whose output goes to files."""

    name: str
    process: subprocess.Popen[bytes] | multiprocessing.process.BaseProcess
    ready: Path
    out: Path
    err: Path

    @property
    def pid(self) -> int:
        pid = self.process.pid
        assert pid is not None
        return pid

    def poll(self) -> int | None:
        """The exit code (negative: killed by that signal), or ``None`` while it runs."""
        if isinstance(self.process, subprocess.Popen):
            return self.process.poll()
        return self.process.exitcode

    def wait(self, timeout: float) -> int | None:
        if isinstance(self.process, subprocess.Popen):
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return None
        self.process.join(timeout)
        return self.process.exitcode

    def kill(self) -> None:
        if self.poll() is None:
            self.process.kill()
            self.wait(WAIT_SECONDS)

    def finish(self, timeout: float = WAIT_SECONDS) -> Finished:
        """Wait for the worker; kill it and fail the test if it hangs."""
        code = self.wait(timeout)
        if code is None:
            self.kill()
            pytest.fail(f"{self.name} did not exit within {timeout:g} s:\n{_read(self.err)}")
        return Finished(self.name, code, _read(self.out), _read(self.err))


class Pool:
    """Worker processes that start together: each waits for the go file once it is ready.

    Args:
        sync_dir: Directory of the ready / go files and of the workers' output.
        fresh_interpreters: Start each worker as ``python -c`` (it imports everything itself,
            which takes 1.5-2.5 s here). Otherwise fork it from a forkserver that has imported
            tunesmith once: a new OS process with no state of the test process, started in
            milliseconds.
    """

    def __init__(self, sync_dir: Path, *, fresh_interpreters: bool = False) -> None:
        self.sync_dir = sync_dir
        sync_dir.mkdir(parents=True, exist_ok=True)
        self.fresh_interpreters = fresh_interpreters
        self.workers: list[Worker] = []

    def start(self, config: dict[str, Any]) -> Worker:
        wid = config["worker"]
        out, err = self.sync_dir / f"{wid}.out", self.sync_dir / f"{wid}.err"
        text = json.dumps({**config, "stdout": str(out), "stderr": str(err)})
        process: subprocess.Popen[bytes] | multiprocessing.process.BaseProcess
        if self.fresh_interpreters:
            process = subprocess.Popen([sys.executable, "-c", _WORKER, text], cwd=self.sync_dir)
        else:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_FORKSERVER_PRELOAD)
            process = ctx.Process(
                target=exec,
                args=(_WORKER, {"__name__": "__tunesmith_worker__", "CONFIG": text}),
                name=f"worker-{wid}",
            )
            process.start()
        worker = Worker(
            f"worker {wid} ({config['mode']})", process, self.sync_dir / f"ready-{wid}", out, err
        )
        self.workers.append(worker)
        return worker

    def go(self, timeout: float = WAIT_SECONDS) -> None:
        """Wait until every worker is ready, then let them all run."""
        give_up = time.monotonic() + timeout
        for w in self.workers:
            while not w.ready.exists():
                if w.poll() is not None:
                    self.kill_all()
                    pytest.fail(f"{w.name} exited before it was ready:\n{_read(w.err)}")
                if time.monotonic() > give_up:
                    self.kill_all()
                    pytest.fail(f"{w.name} was not ready within {timeout:g} s")
                time.sleep(0.01)
        (self.sync_dir / "go").touch()

    def finish_all(self) -> list[Finished]:
        try:
            return [w.finish() for w in self.workers]
        finally:
            self.kill_all()

    def kill_all(self) -> None:
        for w in self.workers:
            w.kill()


def _config(
    mode: str,
    worker: int,
    *,
    url: str,
    study: str,
    sync_dir: Path,
    open_with: str = "load",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "mode": mode,
        "worker": worker,
        "url": url,
        "study": study,
        "sync_dir": str(sync_dir),
        "open": open_with,
        **extra,
    }


def _run_together(
    configs: list[dict[str, Any]], sync_dir: Path, *, fresh_interpreters: bool = False
) -> list[Finished]:
    pool = Pool(sync_dir, fresh_interpreters=fresh_interpreters)
    try:
        for config in configs:
            pool.start(config)
        pool.go()
        return pool.finish_all()
    finally:
        pool.kill_all()


def _assert_clean_exit(finished: list[Finished]) -> None:
    """Every worker exited 0 and printed nothing on stderr (no "database is locked", no log)."""
    for f in finished:
        assert "database is locked" not in f.stderr.lower(), f"{f.name}:\n{f.stderr}"
        assert f.returncode == 0, f"{f.name} exited with {f.returncode}:\n{f.stderr}"
        assert f.stderr == "", f"{f.name} wrote to stderr:\n{f.stderr}"


@contextlib.contextmanager
def _opened(url: str, **kwargs: Any) -> Iterator[SQLStorage]:
    """A storage of the test process, closed afterwards."""
    storage = SQLStorage(url, **kwargs)
    try:
        yield storage
    finally:
        storage.close()


def _stored_trials(url: str, study_name: str) -> list[ts.FrozenTrial]:
    """Every trial row of the study, read straight from the storage (duplicates would show)."""
    with _opened(url) as storage:
        study_id = storage.get_study(study_name).study_id
        trials, _ = storage.trials_since(study_id, 0)
        return sorted(trials, key=lambda t: t.number)


def _best_value(url: str, study_name: str) -> float:
    with _opened(url) as storage:
        return ts.load_study(study_name, storage).best_value


def _assert_all_complete(trials: list[ts.FrozenTrial], n: int) -> None:
    numbers = [t.number for t in trials]
    assert numbers == list(range(n)), (
        f"expected numbers 0..{n - 1}; got {len(numbers)} trials, "
        f"missing {sorted(set(range(n)) - set(numbers))[:10]}, "
        f"extra {sorted(set(numbers) - set(range(n)))[:10]}, "
        f"repeated {sorted({k for k in numbers if numbers.count(k) > 1})[:10]}"
    )
    bad = [
        (t.number, t.state.name, t.error) for t in trials if t.state is not ts.TrialState.COMPLETE
    ]
    assert not bad, f"trials not COMPLETE: {bad[:10]}"
    assert all(t.values is not None and len(t.values) == 1 for t in trials)


def _n_trials_listed(url: str, study_name: str) -> int:
    with _opened(url) as storage:
        (summary,) = [s for s in storage.list_studies() if s.name == study_name]
        return summary.n_trials


# -- fixtures ----------------------------------------------------------------------------------
def _postgres_url() -> sa.URL:
    """The configured server, or skip saying how to enable the PostgreSQL cases."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL cases are off: set {POSTGRES_ENV}, for example "
            f"{POSTGRES_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    return sa.make_url(url).set(drivername="postgresql+psycopg")


@contextlib.contextmanager
def _new_database(server: sa.URL) -> Iterator[str | None]:
    """A throw-away database on ``server`` (its URL), or ``None`` without CREATEDB rights."""
    name = f"tunesmith_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except sa.exc.ProgrammingError:  # insufficient privilege
            yield None
            return
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    """The PostgreSQL database of this module's cases.

    A private database when the user may create one: other suites (the storage contract tests)
    drop tunesmith's tables in the configured database, which would break a case running at the
    same time. Otherwise the configured database itself.
    """
    server = _postgres_url()
    with _new_database(server) as url:
        yield url or server.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql":
        _postgres_url()  # skips when not configured
    return name


@pytest.fixture
def url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A storage whose schema may already exist (the PostgreSQL database is shared)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    database: str = request.getfixturevalue("postgres_database")
    return database


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty storage: a SQLite file that does not exist yet, or a new database."""
    if backend == "sqlite":
        path = tmp_path / "fresh.db"
        assert not path.exists()
        yield f"sqlite:///{path}"
        return
    with _new_database(_postgres_url()) as url:
        if url is None:
            pytest.skip("the PostgreSQL user may not CREATE DATABASE, needed for a fresh storage")
        yield url


@pytest.fixture
def study_name(url: str) -> Iterator[str]:
    """A study name used by this test only; the study is deleted afterwards."""
    name = f"concurrency-{uuid.uuid4().hex[:16]}"
    yield name
    with _opened(url) as storage:
        if any(s.name == name for s in storage.list_studies()):
            storage.delete_study(name)


def _create(url: str, name: str, **kwargs: Any) -> None:
    with _opened(url) as storage:
        ts.create_study(name, storage, **kwargs)


# -- 1, 2: many processes, one study -----------------------------------------------------------
@pytest.mark.parametrize("mode, n_trials", [("optimize", 100), ("ask_tell", 50)])
def test_processes_share_a_study(
    url: str, study_name: str, tmp_path: Path, mode: str, n_trials: int
) -> None:
    _create(url, study_name)
    configs = [
        _config(mode, w, url=url, study=study_name, sync_dir=tmp_path, n_trials=n_trials)
        for w in range(4)
    ]
    finished = _run_together(configs, tmp_path)
    _assert_clean_exit(finished)

    total = 4 * n_trials
    trials = _stored_trials(url, study_name)
    _assert_all_complete(trials, total)
    assert _n_trials_listed(url, study_name) == total
    for f in finished:  # each process ran its own n_trials, and stored what it ran
        summary = f.summary()
        mine = [t.number for t in trials if t.user_attrs.get("worker") == summary["worker"]]
        assert len(summary["numbers"]) == n_trials
        assert sorted(summary["numbers"]) == mine
    assert _best_value(url, study_name) == min(t.values[0] for t in trials if t.values is not None)


def test_processes_race_to_create_storage_and_study(
    backend: str, fresh_url: str, tmp_path: Path
) -> None:
    """All workers start on an empty storage: schema creation and create_study race.

    On SQLite the workers are plain ``python -c`` interpreters, nothing preloaded (the one case
    that pays their start-up, to keep the module fast).
    """
    name = f"concurrency-{uuid.uuid4().hex[:16]}"
    configs = [
        _config(
            "optimize",
            w,
            url=fresh_url,
            study=name,
            sync_dir=tmp_path,
            open_with="create",
            n_trials=100,
        )
        for w in range(4)
    ]
    finished = _run_together(configs, tmp_path, fresh_interpreters=backend == "sqlite")
    _assert_clean_exit(finished)
    _assert_all_complete(_stored_trials(fresh_url, name), 400)
    with _opened(fresh_url) as storage:
        assert [s.name for s in storage.list_studies()] == [name]


def test_enqueued_trials_are_claimed_once(url: str, study_name: str, tmp_path: Path) -> None:
    """Processes drain a queue of enqueued trials: each one runs exactly once."""
    queued = [{"x": i / 4.0, "y": i % 11} for i in range(20)]
    with _opened(url) as storage:
        study = ts.create_study(study_name, storage)
        for params in queued:
            study.enqueue_trial(params)
    configs = [
        _config("optimize", w, url=url, study=study_name, sync_dir=tmp_path, n_trials=10)
        for w in range(4)
    ]
    _assert_clean_exit(_run_together(configs, tmp_path))

    trials = _stored_trials(url, study_name)
    _assert_all_complete(trials, 40)
    assert [t.params for t in trials[:20]] == queued
    assert all(t.user_attrs["worker"] in range(4) for t in trials)


# -- 3: a grid shared by processes -------------------------------------------------------------
def test_grid_points_are_evaluated_once_across_processes(
    url: str, study_name: str, tmp_path: Path
) -> None:
    grid = (8, 5)  # 40 points
    _create(url, study_name)
    configs = [
        _config("grid", w, url=url, study=study_name, sync_dir=tmp_path, grid=list(grid))
        for w in range(4)
    ]
    finished = _run_together(configs, tmp_path)
    _assert_clean_exit(finished)

    expected = sorted([a, b] for a in range(grid[0]) for b in range(grid[1]))
    evaluated = sorted(p for f in finished for p in f.summary()["evaluated"])
    assert evaluated == expected, "each grid point must be evaluated exactly once in total"

    trials = _stored_trials(url, study_name)
    complete = [t for t in trials if t.state is ts.TrialState.COMPLETE]
    assert sorted([t.params["a"], t.params["b"]] for t in complete) == expected
    assert [t.number for t in trials] == list(range(len(trials)))
    # At the very end a process can start a trial and then find every point taken by the
    # others: that trial (at most one per process but the last one) is FAIL with the reason.
    others = [(t.number, t.state.name, t.error or "") for t in trials if t not in complete]
    assert len(others) <= 3, others
    assert all(
        state == "FAIL" and error.startswith("search space exhausted") for _, state, error in others
    ), others


# -- 4: a worker killed mid-trial --------------------------------------------------------------
def _wait_for(condition: Callable[[], bool], what: str, pool: Pool, timeout: float = 60.0) -> None:
    give_up = time.monotonic() + timeout
    while not condition():
        for w in pool.workers:
            if w.poll() not in (None, -signal.SIGKILL):
                pool.kill_all()
                pytest.fail(f"{w.name} exited early while waiting for {what}:\n{w.err.read_text()}")
        if time.monotonic() > give_up:
            pool.kill_all()
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def test_killed_worker_trial_fails_and_others_go_on(
    url: str, study_name: str, tmp_path: Path
) -> None:
    heartbeat = [0.2, 1.0]  # heartbeat_interval, grace_period
    _create(url, study_name)
    common: dict[str, Any] = {
        "url": url,
        "study": study_name,
        "sync_dir": tmp_path,
        "heartbeat": heartbeat,
    }
    pool = Pool(tmp_path)
    try:
        victim = pool.start(_config("victim", 0, **common))
        survivors = [pool.start(_config("survivor", w, n_trials=5000, **common)) for w in (1, 2)]
        pool.go()

        marker = tmp_path / "marker"
        _wait_for(marker.exists, "the victim's first trial", pool)
        number = json.loads(marker.read_text())["number"]
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.finish().returncode == -signal.SIGKILL

        # The survivors keep asking; one of them must notice the lost heartbeat and fail it.
        storage = SQLStorage(url, heartbeat_interval=heartbeat[0], grace_period=heartbeat[1])
        try:
            study = ts.load_study(study_name, storage)

            def reaped() -> bool:
                return study.trials[number].state is ts.TrialState.FAIL

            _wait_for(reaped, f"a survivor to fail the killed worker's trial {number}", pool)
            (tmp_path / "stop").touch()
            finished = [w.finish() for w in survivors]
            _assert_clean_exit(finished)
            # Nothing is stale any more: the survivors did it all.
            study_id = storage.get_study(study_name).study_id
            assert storage.fail_stale_trials(study_id) == []
            trials = study.trials
        finally:
            storage.close()
    finally:
        pool.kill_all()

    killed = trials[number]
    assert killed.state is ts.TrialState.FAIL
    assert killed.error == STALE_TRIAL_ERROR
    assert killed.datetime_complete is not None
    assert [t.number for t in trials] == list(range(len(trials)))
    assert not [t.number for t in trials if t.state is ts.TrialState.RUNNING]
    others = [t for t in trials if t.number != number]
    bad = [
        (t.number, t.state.name, t.error) for t in others if t.state is not ts.TrialState.COMPLETE
    ]
    assert not bad, f"survivors' trials not COMPLETE: {bad}"
    ran = sorted(n for f in finished for n in f.summary()["numbers"])
    assert ran == [t.number for t in others]
    assert all(f.summary()["numbers"] for f in finished), "each survivor ran trials"


def test_fail_stale_trials_after_grace_period(url: str, study_name: str, tmp_path: Path) -> None:
    """Without survivors, ``fail_stale_trials`` fails the killed worker's trial itself."""
    heartbeat = [0.2, 1.0]
    _create(url, study_name)
    pool = Pool(tmp_path)
    try:
        victim = pool.start(
            _config("victim", 0, url=url, study=study_name, sync_dir=tmp_path, heartbeat=heartbeat)
        )
        pool.go()
        marker = tmp_path / "marker"
        _wait_for(marker.exists, "the victim's first trial", pool)
        number = json.loads(marker.read_text())["number"]
        storage = SQLStorage(url, heartbeat_interval=heartbeat[0], grace_period=heartbeat[1])
        try:
            study_id = storage.get_study(study_name).study_id
            time.sleep(heartbeat[1] + 0.5)  # alive past the grace period: the heartbeat holds
            assert storage.fail_stale_trials(study_id) == []
            os.kill(victim.pid, signal.SIGKILL)
            assert victim.finish().returncode == -signal.SIGKILL
            killed_at = time.time()
            while time.time() < killed_at + heartbeat[1] + 0.5:
                time.sleep(0.1)
            assert storage.fail_stale_trials(study_id) == [number]
            assert storage.fail_stale_trials(study_id) == []
            (trial,) = ts.load_study(study_name, storage).trials
        finally:
            storage.close()
    finally:
        pool.kill_all()
    assert trial.state is ts.TrialState.FAIL
    assert trial.error == STALE_TRIAL_ERROR


_ASK_AND_HANG = r"""
import sys, time
import tunesmith as ts
from tunesmith.storages import SQLStorage
storage = SQLStorage(sys.argv[1], heartbeat_interval=0.2, grace_period=1.0)
study = ts.load_study(sys.argv[2], storage)
trial = study.ask({"x": ts.Float(0, 1)})
print(trial.number, flush=True)
time.sleep(600)
"""


def test_an_asked_trial_beats_while_its_process_lives_and_fails_once_it_dies(
    url: str, study_name: str
) -> None:
    """``study.ask`` outside ``optimize``: a killed process never leaves its trial RUNNING."""
    _create(url, study_name)
    proc = subprocess.Popen(
        [sys.executable, "-c", _ASK_AND_HANG, url, study_name],
        stdout=subprocess.PIPE,
        text=True,
    )
    storage = SQLStorage(url, heartbeat_interval=0.2, grace_period=1.0)
    try:
        assert proc.stdout is not None
        number = int(proc.stdout.readline())
        study_id = storage.get_study(study_name).study_id
        time.sleep(2.0)  # twice the grace period: the asking process keeps its trial alive
        assert storage.fail_stale_trials(study_id) == []
        proc.kill()
        proc.wait(WAIT_SECONDS)
        time.sleep(1.5)
        assert storage.fail_stale_trials(study_id) == [number]
        (trial,) = ts.load_study(study_name, storage).trials
    finally:
        proc.kill()
        storage.close()
    assert trial.state is ts.TrialState.FAIL
    assert trial.error == STALE_TRIAL_ERROR


# -- 5: resume in a new process ----------------------------------------------------------------
def test_second_process_resumes_the_study(url: str, study_name: str, tmp_path: Path) -> None:
    runs = []
    for i, open_ in enumerate(["create", "load"]):
        config = _config(
            "resume",
            i,
            url=url,
            study=study_name,
            sync_dir=tmp_path / f"run{i}",
            open_with=open_,
            n_trials=10,
            seed=7,
        )
        (finished,) = _run_together([config], tmp_path / f"run{i}")
        _assert_clean_exit([finished])
        runs.append(finished.summary())

    assert runs[0]["numbers"] == list(range(10))
    assert runs[1]["numbers"] == list(range(10, 20))
    trials = _stored_trials(url, study_name)
    _assert_all_complete(trials, 20)
    first = {(t.params["x"], t.params["y"]) for t in trials[:10]}
    second = {(t.params["x"], t.params["y"]) for t in trials[10:]}
    assert len(first) == 10 and len(second) == 10
    assert not first & second, "the resumed run repeated configurations of the first"
    best = min(t.values[0] for t in trials if t.values is not None)
    assert runs[1]["n_seen"] == 20
    assert runs[1]["best_value"] == best
    assert _best_value(url, study_name) == best


# -- 6: optimize(n_jobs=2) forks ---------------------------------------------------------------
def test_optimize_n_jobs_forks_workers(url: str, study_name: str) -> None:
    parent = os.getpid()

    def objective(trial: ts.Trial) -> float:
        trial.set_user_attr("pid", os.getpid())
        x = trial.suggest_float("x", -1.0, 1.0)
        return x * x

    with _opened(url) as storage:
        study = ts.create_study(study_name, storage)
        study.optimize(objective, n_trials=40, n_jobs=2)
        trials = study.trials  # the parent's connections survived the fork
        study.optimize(objective, n_trials=2)  # and can still write

    _assert_all_complete(trials, 40)
    _assert_all_complete(_stored_trials(url, study_name), 42)
    pids = {t.user_attrs["pid"] for t in trials}
    assert parent not in pids, "n_jobs=2 with a SQL storage must run trials in forked processes"
    assert 1 <= len(pids) <= 2
