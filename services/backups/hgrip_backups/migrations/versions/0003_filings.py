"""HGRG filing numbers (备案号) and the backups each prior report cites.

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
    # Spelled out (not metadata.create_all): a migration must not change when the model does.
    op.create_table(
        "filings",
        sa.Column("filing_number", sa.String(64), nullable=False),
        sa.Column("backup_id", sa.String(36), sa.ForeignKey("backups.id", name="fk_filings_backup"),
                  nullable=False),
        sa.Column("declared_mb", sa.Float, nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("filed_at", UTCDateTime, nullable=False),
        # One filing may cite several backups and one backup be cited by several filings;
        # the same pair never twice.
        sa.UniqueConstraint("filing_number", "backup_id", name="uq_filings_number_backup"),
    )
    op.create_index("ix_filings_backup", "filings", ["backup_id"])


def downgrade() -> None:
    op.drop_index("ix_filings_backup", table_name="filings")
    op.drop_table("filings")
