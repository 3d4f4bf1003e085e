"""Drop notice_backups: notices ask backups for the backup (owner, number, name) when one is due, so
verification no longer consumes every BackupSubmitted for a copy of each backup. The retired
consumer's inbox marks go with it.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RETIRED_CONSUMER = "verification.on_backup_submitted"


def upgrade() -> None:
    op.drop_table("notice_backups")
    op.execute(sa.text("DELETE FROM inbox WHERE consumer = :consumer").bindparams(consumer=RETIRED_CONSUMER))


def downgrade() -> None:
    # Comes back empty: the copy was folded from backups' events, which are not in this store. The
    # older code then learns backups only from events published after the downgrade.
    op.create_table(
        "notice_backups",
        sa.Column("backup_id", sa.String(36), primary_key=True),
        sa.Column("backup_number", sa.String(32)),
        sa.Column("name", sa.String(200)),
        sa.Column("owner_id", sa.String(36)),
        sa.Column("sequence", sa.Integer, nullable=False),
    )
