"""accounts.email: the address HGRG provisions for an account (where the platform's notices go).

Existing rows stay NULL: their events (AccountProvisioned / AccountUpdated v1) carry no e-mail.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("email", sa.String(254)))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("email")
