"""sync_states as the pusher's work queue: payload, due time, lease, snapshot version; 'failing'.

The contract's states are pending | synced | failing (a sync never gives up, so it is never
"failed"). The new columns are NOT NULL without defaults on purpose: the skeleton never wrote a
row, and a payload cannot be invented — a table with rows in it makes this fail loudly instead.
Spelled out (not metadata.create_all): a migration must not change when the model does.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from hgrip_kernel.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch_alter_table: plain ALTERs on PostgreSQL, a table copy on SQLite (which cannot alter).
    with op.batch_alter_table("sync_states") as batch:
        batch.drop_constraint("ck_sync_states_state", type_="check")
        batch.add_column(sa.Column("backup_id", sa.String(36), nullable=False))
        batch.add_column(sa.Column("next_attempt_at", UTCDateTime))
        batch.add_column(sa.Column("payload", sa.JSON, nullable=False))
        batch.add_column(sa.Column("correlation_id", sa.String(100), nullable=False))
        batch.add_column(sa.Column("version", sa.Integer, nullable=False))
        batch.add_column(sa.Column("updated_at", UTCDateTime, nullable=False))
    op.execute("UPDATE sync_states SET state = 'failing' WHERE state = 'failed'")
    with op.batch_alter_table("sync_states") as batch:
        batch.create_check_constraint("ck_sync_states_state", "state IN ('pending', 'synced', 'failing')")
        batch.create_index("ix_sync_states_due", ["state", "next_attempt_at"])


def downgrade() -> None:
    with op.batch_alter_table("sync_states") as batch:
        batch.drop_index("ix_sync_states_due")
        batch.drop_constraint("ck_sync_states_state", type_="check")
    op.execute("UPDATE sync_states SET state = 'failed' WHERE state = 'failing'")
    with op.batch_alter_table("sync_states") as batch:
        for column in ("updated_at", "version", "correlation_id", "payload", "next_attempt_at",
                       "backup_id"):
            batch.drop_column(column)
        batch.create_check_constraint("ck_sync_states_state", "state IN ('pending', 'synced', 'failed')")
