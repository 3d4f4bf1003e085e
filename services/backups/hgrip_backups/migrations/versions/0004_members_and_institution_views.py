"""Members and institutions (from identity's events), legacy-aware backups, institution-view indexes.

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
        "members",
        sa.Column("account_id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("mobile_hash", sa.String(64)),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("institution_code", sa.String(64)),
        sa.Column("unit_code", sa.String(64)),
        sa.Column("employed", sa.Boolean, nullable=False),
        sa.Column("authorised", sa.Boolean, nullable=False),
        sa.Column("authorised_at", UTCDateTime),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_members_name_key", "members", ["name_key"])
    op.create_index("ix_members_mobile_hash", "members", ["mobile_hash"])
    op.create_index("ix_members_institution_code", "members", ["institution_code"])
    op.create_table(
        "member_institutions",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("foreign", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "member_units",
        sa.Column("institution_code", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    # Legacy backups (numbered on the old platform) have no project here; 'origin' tells them apart.
    with op.batch_alter_table("backups") as batch:
        batch.alter_column("project_id", existing_type=sa.String(36), nullable=True)
        batch.add_column(sa.Column("origin", sa.String(10), nullable=False, server_default="new"))
    # The institution list: scope, tab, newest first.
    op.create_index("ix_backups_scope_status_created", "backups",
                    ["institution_code", "status", "created_at"])
    op.create_index("ix_backups_scope_unit_status_created", "backups",
                    ["institution_code", "unit_code", "status", "created_at"])
    op.create_index("ix_known_projects_owner_name", "known_projects", ["owner_id", "name"])


def downgrade() -> None:
    op.drop_index("ix_known_projects_owner_name", table_name="known_projects")
    op.drop_index("ix_backups_scope_unit_status_created", table_name="backups")
    op.drop_index("ix_backups_scope_status_created", table_name="backups")
    with op.batch_alter_table("backups") as batch:
        batch.drop_column("origin")
        batch.alter_column("project_id", existing_type=sa.String(36), nullable=False)
    op.drop_table("member_units")
    op.drop_table("member_institutions")
    op.drop_index("ix_members_institution_code", table_name="members")
    op.drop_index("ix_members_mobile_hash", table_name="members")
    op.drop_index("ix_members_name_key", table_name="members")
    op.drop_table("members")
