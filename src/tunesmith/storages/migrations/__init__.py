"""Alembic migrations of the SQL storage (run by ``SQLStorage``; see ``env.py``)."""
