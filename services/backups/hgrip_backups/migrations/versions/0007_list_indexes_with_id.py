"""The institution list's sort indexes end with the backup id, the sort's tie-breaker.

Every page is ordered by (sort key, id). Without id in the index PostgreSQL sorted each group of
equal keys itself and fetched every skipped row from the table; with it, a page is read in order
off the index alone (an index-only scan of the ids, queries.py joins the page's 20 rows back), so
page 500 costs about what page 1 does. Same names, one more column each.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Spelled out (not imported from the model): a migration must not change when the model does.
LIST_INDEXES = (("ix_backups_scope_status_created", ["institution_code", "status", "created_at"]),
                ("ix_backups_scope_unit_status_created",
                 ["institution_code", "unit_code", "status", "created_at"]),
                ("ix_backups_scope_status_number", ["institution_code", "status", "backup_number"]),
                ("ix_backups_scope_status_name", ["institution_code", "status", "name"]))


def upgrade() -> None:
    for index, columns in LIST_INDEXES:
        op.drop_index(index, table_name="backups")
        op.create_index(index, "backups", [*columns, "id"])


def downgrade() -> None:
    for index, columns in LIST_INDEXES:
        op.drop_index(index, table_name="backups")
        op.create_index(index, "backups", columns)
