"""Storage backends: in-memory and SQL (SQLite, PostgreSQL) through SQLAlchemy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._base import BaseStorage, StudyInfo, StudySummary
from ._memory import InMemoryStorage
from ._view import StudyView

if TYPE_CHECKING:
    from ._sql import SQLStorage

__all__ = [
    "BaseStorage",
    "InMemoryStorage",
    "SQLStorage",
    "StudyInfo",
    "StudySummary",
    "StudyView",
    "get_storage",
]


def __getattr__(name: str) -> Any:
    if name == "SQLStorage":  # SQLAlchemy is imported only when a SQL storage is used
        from ._sql import SQLStorage

        return SQLStorage
    raise AttributeError(name)


def get_storage(storage: str | BaseStorage | None) -> BaseStorage:
    """Resolve the ``storage=`` argument: ``None`` (in memory), a URL, or a storage object.

    Example:
        >>> from tunesmith.storages import get_storage
        >>> type(get_storage(None)).__name__
        'InMemoryStorage'
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        from ._sql import SQLStorage

        return SQLStorage(storage)
    raise TypeError(
        f"`storage` must be None (in memory), a database URL such as 'sqlite:///tunesmith.db' or "
        f"'postgresql+psycopg://user@host/db', or a storage object, but got {storage!r}."
    )
