"""Kernel tables, then identity's projections and credentials.

Revision ID: 0001
Revises:
Create Date: 2024-01-01
"""
import sqlalchemy as sa
from alembic import op
from hgrip_kernel.migrations import create_kernel_tables, drop_kernel_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Tables spelt out (not metadata.create_all): this revision must not change when projections.py does.
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_kernel_tables(op)
    op.create_table(
        "institutions",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("foreign", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("institution_code", sa.String(64), sa.ForeignKey("institutions.code", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("mobile", sa.String(20)),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("institution_code", sa.String(64), sa.ForeignKey("institutions.code")),
        sa.Column("unit_code", sa.String(64)),
        sa.Column("real_name_verified", sa.Boolean, nullable=False),
        sa.Column("authorised", sa.Boolean, nullable=False),
        sa.Column("authorised_at", Moment),
        sa.Column("employed", sa.Boolean, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", Moment),
        sa.Column("last_login_at", Moment),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
    )
    op.create_index("ix_accounts_institution_code", "accounts", ["institution_code"])
    op.create_table(
        "credentials",
        sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("credentials")
    op.drop_index("ix_accounts_institution_code", "accounts")
    op.drop_table("accounts")
    op.drop_table("units")
    op.drop_table("institutions")
    drop_kernel_tables(op)
