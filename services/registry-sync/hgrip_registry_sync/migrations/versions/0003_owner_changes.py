"""owner_changes: the queue of backup owner changes (delegations, legacy claims) to push to HGRG.

One row per change (keyed by the BackupDelegated/BackupClaimed event id), with the same queue
columns as sync_states (state, attempts, lease/due time, payload, snapshot version).
Spelled out (not metadata.create_all): a migration must not change when the model does.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from hgrip_kernel.store.tables import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owner_changes",
        sa.Column("change_id", sa.String(36), primary_key=True),
        sa.Column("backup_number", sa.String(32), nullable=False),
        sa.Column("backup_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("owner_username", sa.String(100), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("synced_at", UTCDateTime),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("correlation_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.CheckConstraint("state IN ('pending', 'synced', 'failing')", name="ck_owner_changes_state"),
    )
    op.create_index("ix_owner_changes_due", "owner_changes", ["state", "next_attempt_at"])
    op.create_index("ix_owner_changes_number", "owner_changes", ["backup_number", "sequence"])


def downgrade() -> None:
    op.drop_index("ix_owner_changes_number", table_name="owner_changes")
    op.drop_index("ix_owner_changes_due", table_name="owner_changes")
    op.drop_table("owner_changes")
