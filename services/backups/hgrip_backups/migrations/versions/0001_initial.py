"""Kernel tables (events, outbox, inbox) and the known_projects read model.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from hgrip_kernel.migrations import create_kernel_tables, drop_kernel_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kernel_tables(op)
    op.create_table(
        "known_projects",
        sa.Column("project_id", sa.String(36), primary_key=True),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("institution_code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("applied_event_id", sa.String(36), nullable=False),
    )
    op.create_index("ix_known_projects_owner_id", "known_projects", ["owner_id"])
    op.create_index("ix_known_projects_institution_code", "known_projects", ["institution_code"])


def downgrade() -> None:
    op.drop_table("known_projects")
    drop_kernel_tables(op)
