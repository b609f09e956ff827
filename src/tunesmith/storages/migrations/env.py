"""Alembic environment of the SQL storage.

At run time ``SQLStorage`` calls alembic programmatically and hands over a connection that is
already inside a locked transaction (``config.attributes["connection"]``), so no ``alembic.ini``
is needed. For development, a ``sqlalchemy.url`` main option works too::

    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", "src/tunesmith/storages/migrations")
    cfg.set_main_option("sqlalchemy.url", "sqlite:///scratch.db")
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from tunesmith.storages._schema import VERSION_TABLE


def _run(connection: sa.Connection) -> None:
    # transactional_ddl: SQLite supports it too; the whole upgrade commits or nothing does.
    context.configure(connection=connection, version_table=VERSION_TABLE, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "tunesmith migrations need a connection (config.attributes['connection']) or a "
            "'sqlalchemy.url' main option."
        )
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


_main()
