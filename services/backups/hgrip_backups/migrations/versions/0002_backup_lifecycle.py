"""Backups, their data files, and the per-day backup number counters.

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
        "backups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("backup_number", sa.String(20), nullable=True),
        sa.Column("file_count", sa.Integer, nullable=False),
        sa.Column("total_mb", sa.Float, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("submitted_at", UTCDateTime, nullable=True),
        sa.Column("institution_code", sa.String(64), nullable=False),
        sa.Column("unit_code", sa.String(64), nullable=True),
        sa.Column("pi_name", sa.String(50), nullable=False),
        sa.Column("pi_email", sa.String(254), nullable=False),
        sa.Column("project_name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        # NULL until submitted; several NULLs are allowed, two equal numbers never.
        sa.UniqueConstraint("backup_number", name="uq_backups_backup_number"),
    )
    op.create_index("ix_backups_project_created", "backups", ["project_id", "created_at"])
    op.create_index("ix_backups_owner", "backups", ["owner_id"])
    op.create_index("ix_backups_institution_unit", "backups", ["institution_code", "unit_code"])

    op.create_table(
        "data_files",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("backup_id", sa.String(36), sa.ForeignKey("backups.id", name="fk_data_files_backup"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("detailed_type", sa.String(40), nullable=False),
        sa.Column("repository", sa.String(20), nullable=False),
        sa.Column("cases", sa.BigInteger, nullable=False),
        sa.Column("mb_per_case", sa.Float, nullable=False),
        sa.Column("submission_account", sa.String(254), nullable=False),
        sa.Column("accession", sa.String(64), nullable=False),
        sa.Column("progress", sa.String(30), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("backup_id", "accession", name="uq_data_files_backup_accession"),
    )
    op.create_index("ix_data_files_accession", "data_files", ["accession"])

    op.create_table(
        "backup_number_counters",
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("backup_number_counters")
    op.drop_index("ix_data_files_accession", table_name="data_files")
    op.drop_table("data_files")
    for index in ("ix_backups_institution_unit", "ix_backups_owner", "ix_backups_project_created"):
        op.drop_index(index, table_name="backups")
    op.drop_table("backups")
