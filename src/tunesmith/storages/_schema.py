"""Table definitions of the SQL storage, as of the newest migration (``HEAD`` in ``_sql``).

The migrations in ``migrations/versions`` create these tables; they spell the columns out
themselves rather than importing this module, so that an old migration never changes. A test
compares the migrated database with this metadata.

Everything is JSON text or a number: no pickles, no binary columns. Times are epoch seconds
(UTC), which every backend stores and compares the same way.
"""

from __future__ import annotations

import sqlalchemy as sa

# Alembic's bookkeeping table, named after us so that it never collides with an application's
# own alembic history in the same database.
VERSION_TABLE = "tunesmith_alembic_version"

metadata = sa.MetaData()

studies = sa.Table(
    "tunesmith_studies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("directions", sa.Text, nullable=False),  # JSON list of "minimize" / "maximize"
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("next_number", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("name", name="uq_studies_name"),
    # AUTOINCREMENT: a deleted study's id is never reused, so a stale handle cannot write into
    # a newer study.
    sqlite_autoincrement=True,
)

trials = sa.Table(
    "tunesmith_trials",
    metadata,
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
    sa.Column("constraints_json", sa.Text),  # since 0002
    sa.UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
    sa.UniqueConstraint("study_id", "claim", name="uq_trials_study_claim"),
    sa.Index("ix_trials_study_version", "study_id", "version"),
    # Finds WAITING trials to claim and RUNNING ones to check without scanning the study.
    sa.Index("ix_trials_study_state", "study_id", "state", "number"),
)
