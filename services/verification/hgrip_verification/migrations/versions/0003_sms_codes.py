"""The sms_codes read model (SMS codes of legacy-backup claims).

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
        "sms_codes",
        sa.Column("purpose", sa.String(32), primary_key=True),
        sa.Column("subject", sa.String(128), primary_key=True),
        sa.Column("sent_to", sa.String(16), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("verified_at", UTCDateTime),
    )


def downgrade() -> None:
    op.drop_table("sms_codes")
