"""Schema version 1: studies and trials.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "tunesmith_studies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("directions", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("next_number", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("name", name="uq_studies_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "tunesmith_trials",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("tunesmith_studies.id", ondelete="CASCADE", name="fk_trials_study_id"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("values_json", sa.Text),
        sa.Column("params_json", sa.Text),
        sa.Column("distributions_json", sa.Text),
        sa.Column("user_attrs_json", sa.Text),
        sa.Column("intermediate_json", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("claim", sa.Text),
        sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float),
        sa.Column("heartbeat_at", sa.Float),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
        sa.UniqueConstraint("study_id", "claim", name="uq_trials_study_claim"),
    )
    op.create_index("ix_trials_study_version", "tunesmith_trials", ["study_id", "version"])
    op.create_index("ix_trials_study_state", "tunesmith_trials", ["study_id", "state", "number"])


def downgrade() -> None:
    op.drop_table("tunesmith_trials")
    op.drop_table("tunesmith_studies")
