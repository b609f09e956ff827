"""Schema version 2: constraint values of constrained optimisation.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (nullable, no default) works on SQLite without a table rebuild.
    op.add_column("tunesmith_trials", sa.Column("constraints_json", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("tunesmith_trials") as batch:
        batch.drop_column("constraints_json")
