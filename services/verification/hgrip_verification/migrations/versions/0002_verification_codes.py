"""The verification_codes read model.

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
    # Spelled out (not metadata.create_all): a migration must not change when the model does.
    op.create_table(
        "verification_codes",
        sa.Column("file_id", sa.String(36), primary_key=True),
        sa.Column("backup_id", sa.String(36), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("verified_at", UTCDateTime),
        sa.Column("submission_account", sa.String(254), nullable=False),
        sa.Column("accession", sa.String(64), nullable=False),
        sa.Column("repository", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("verification_codes")
