"""Legacy backups: numbered on the old platform, imported, claimed once (manual "备份认领").

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from hgrip_kernel.store.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Spelled out (not metadata.create_all): a migration must not change when the model does.
    op.create_table(
        "legacy_backups",
        sa.Column("backup_id", sa.String(36), primary_key=True),
        sa.Column("backup_number", sa.String(32), nullable=False),
        sa.Column("registrant_name", sa.String(200), nullable=False),
        sa.Column("registrant_name_key", sa.String(200), nullable=False),
        sa.Column("mobile_hash", sa.String(64), nullable=False),      # HMAC, never the number
        sa.Column("mobile_masked", sa.String(20), nullable=False),
        sa.Column("institution_name", sa.String(200), nullable=False),
        sa.Column("institution_key", sa.String(200), nullable=False),
        sa.Column("imported_at", UTCDateTime, nullable=False),
        sa.Column("claimed_at", UTCDateTime),                         # NULL until claimed, once
        sa.Column("owner_id", sa.String(36)),
        sa.Column("how", sa.String(20)),                              # auto | sms | institution
        sa.UniqueConstraint("backup_number", name="uq_legacy_backups_backup_number"),
        sa.CheckConstraint("(claimed_at IS NULL) = (owner_id IS NULL) AND (claimed_at IS NULL) = (how IS NULL)",
                           name="ck_legacy_backups_claim_complete"),
    )
    # Claims and auto-attach look registrants up by name and mobile (and institution).
    op.create_index("ix_legacy_backups_registrant", "legacy_backups",
                    ["registrant_name_key", "mobile_hash"])


def downgrade() -> None:
    op.drop_index("ix_legacy_backups_registrant", table_name="legacy_backups")
    op.drop_table("legacy_backups")
