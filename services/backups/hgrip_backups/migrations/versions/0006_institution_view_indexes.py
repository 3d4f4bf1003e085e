"""Institution views: the list's other sort orders, and substring filters on PostgreSQL.

- (institution_code, status, backup_number) and (institution_code, status, name): a page sorted
  by number or name is an index range scan within the scope and tab (0004 covers created_at).
- PostgreSQL only: ``hgrip_bigrams(text)`` (the distinct two-character pieces of lower(text)) and
  GIN indexes over it for backups.name, backups.pi_name and members.name. A search for "测序" or
  "张晓" (two characters: common in Chinese, and beyond trigram indexes) reads the rows holding
  every bigram of the text instead of the whole institution; ILIKE still decides.
Mirrored on the model in hgrip_backups/institution_queries.py (INDEXES, BIGRAMS_FUNCTION).

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Spelled out (not imported from the model): a migration must not change when the model does.
BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION hgrip_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(value), i, 2)), '{}')
  FROM generate_series(1, char_length(value) - 1) AS i
$$"""
BIGRAM_INDEXES = (("ix_backups_name_bigrams", "backups", "name"),
                  ("ix_backups_pi_name_bigrams", "backups", "pi_name"),
                  ("ix_members_name_bigrams", "members", "name"))


def upgrade() -> None:
    op.create_index("ix_backups_scope_status_number", "backups",
                    ["institution_code", "status", "backup_number"])
    op.create_index("ix_backups_scope_status_name", "backups", ["institution_code", "status", "name"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(BIGRAMS_FUNCTION)
        for index, table, column in BIGRAM_INDEXES:
            op.execute(f"CREATE INDEX {index} ON {table} USING gin (hgrip_bigrams({column}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index, _, _ in BIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {index}")
        op.execute("DROP FUNCTION IF EXISTS hgrip_bigrams(text)")
    op.drop_index("ix_backups_scope_status_name", table_name="backups")
    op.drop_index("ix_backups_scope_status_number", table_name="backups")
