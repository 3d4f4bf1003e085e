"""Kernel tables (events, outbox, inbox) and the projects read model.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from hgrip_kernel.migrations import create_kernel_tables, drop_kernel_tables
from hgrip_kernel.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kernel_tables(op)
    # Spelled out (not metadata.create_all): a migration must not change when the model does.
    op.create_table(
        "projects",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("owner_username", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("pi_name", sa.String(50), nullable=False),
        sa.Column("pi_email", sa.String(254), nullable=False),
        sa.Column("institution_code", sa.String(64), nullable=False),
        sa.Column("institution_name", sa.String(200), nullable=False),
        sa.Column("unit_code", sa.String(64)),
        sa.Column("unit_name", sa.String(200)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.UniqueConstraint("owner_id", "name", name="uq_projects_owner_name"),
    )
    op.create_index("ix_projects_owner_created", "projects", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_projects_owner_created", table_name="projects")
    op.drop_table("projects")
    drop_kernel_tables(op)
