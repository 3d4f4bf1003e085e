"""The notices' tables: notice_backups (backups' owners, from backups' events) and notices_sent
(one row per notice mailed, unique by kind, fact and recipient).

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
    # Spelled out (not metadata.create_all): a migration must not change when the model does.
    op.create_table(
        "notice_backups",
        sa.Column("backup_id", sa.String(36), primary_key=True),
        sa.Column("backup_number", sa.String(32)),
        sa.Column("name", sa.String(200)),
        sa.Column("owner_id", sa.String(36)),
        sa.Column("sequence", sa.Integer, nullable=False),
    )
    op.create_table(
        "notices_sent",
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("fact_id", sa.String(120), nullable=False),
        sa.Column("recipient_id", sa.String(36), nullable=False),
        sa.Column("backup_id", sa.String(36), nullable=False),
        sa.Column("sent_to", sa.String(254), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("sent_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("kind", "fact_id", "recipient_id", name="pk_notices_sent"),
    )


def downgrade() -> None:
    op.drop_table("notices_sent")
    op.drop_table("notice_backups")
