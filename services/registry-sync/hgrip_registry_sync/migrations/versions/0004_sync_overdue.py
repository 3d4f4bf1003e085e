"""sync_states: requested_at (when a number's way to HGRG began) and overdue_at (when it was reported
overdue, once: BackupSyncOverdue).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from hgrip_kernel.store.tables import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sync_states", sa.Column("requested_at", UTCDateTime))
    op.add_column("sync_states", sa.Column("overdue_at", UTCDateTime))


def downgrade() -> None:
    with op.batch_alter_table("sync_states") as batch:
        batch.drop_column("overdue_at")
        batch.drop_column("requested_at")
