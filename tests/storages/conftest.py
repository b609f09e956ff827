"""Storage backends for the contract suite: in memory, a SQLite file, a PostgreSQL database.

PostgreSQL cases need a server: set ``TUNESMITH_TEST_POSTGRES_URL`` (see ``POSTGRES_EXAMPLE``).
Every PostgreSQL test starts from a database without tunesmith's tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tunesmith.storages import BaseStorage, InMemoryStorage
from tunesmith.storages._schema import VERSION_TABLE

POSTGRES_ENV = "TUNESMITH_TEST_POSTGRES_URL"
POSTGRES_EXAMPLE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    """The test server's URL, or skip the test saying how to enable it."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL tests are off; enable them with {POSTGRES_ENV}={POSTGRES_EXAMPLE} "
            "(any database the tests may wipe)."
        )
    return url


def reset_postgres(url: str) -> None:
    """Drop tunesmith's tables and alembic's version table, so each test starts afresh."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"DROP TABLE IF EXISTS tunesmith_trials, tunesmith_studies, {VERSION_TABLE} CASCADE"
            )
    finally:
        engine.dispose()


@dataclass
class Backend:
    """One database; ``make`` opens another storage object on it."""

    kind: str
    url: str | None
    opened: list[BaseStorage] = field(default_factory=list)

    @property
    def shares_database(self) -> bool:
        return self.url is not None

    def make(self, **kwargs: Any) -> BaseStorage:
        if self.url is None:
            storage: BaseStorage = InMemoryStorage()
        else:
            from tunesmith.storages import SQLStorage

            storage = SQLStorage(self.url, **kwargs)
        self.opened.append(storage)
        return storage

    def close(self) -> None:
        for storage in self.opened:
            storage.close()


def _backend(kind: str, tmp_path: Path) -> Backend:
    if kind == "memory":
        return Backend(kind, None)
    if kind == "sqlite":
        return Backend(kind, f"sqlite:///{tmp_path / 'tunesmith.db'}")
    url = postgres_url()
    reset_postgres(url)
    return Backend(kind, url)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    b = _backend(request.param, tmp_path)
    yield b
    b.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    b = _backend(request.param, tmp_path)
    yield b
    b.close()


@pytest.fixture
def storage(backend: Backend) -> BaseStorage:
    return backend.make()


@pytest.fixture
def make_storage(backend: Backend) -> Callable[..., BaseStorage]:
    """Open further storage objects on the same database (skips for the in-memory backend)."""
    if not backend.shares_database:
        pytest.skip("an in-memory storage is private to its object")
    return backend.make
