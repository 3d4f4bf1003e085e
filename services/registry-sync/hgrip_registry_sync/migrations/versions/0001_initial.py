"""Kernel tables (events, outbox, inbox) and sync_states.

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
    op.create_table(
        "sync_states",
        sa.Column("backup_number", sa.String(32), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text),
        sa.Column("synced_at", UTCDateTime),
        sa.CheckConstraint("state IN ('pending', 'synced', 'failed')", name="ck_sync_states_state"),
    )


def downgrade() -> None:
    op.drop_table("sync_states")
    drop_kernel_tables(op)
