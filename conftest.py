"""Root pytest configuration: doctests run over the package, except alembic's env script."""

collect_ignore_glob = ["src/tunesmith/storages/migrations/*"]
