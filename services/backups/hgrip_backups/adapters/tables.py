"""Every table and index of the backups database, on one ``metadata`` (migrations/env.py imports it).

Read models, written in the same transaction as the events they reflect:
- ``known_projects``: projects learnt from projects.ProjectCreated.
- ``backups`` / ``data_files``: each backup aggregate as the lists and screens read it; rewritten
  from the aggregate's state after every change, so the rows always equal the folded stream.
- ``backup_number_counters``: the last serial handed out per Beijing day (numbering.py).
- ``filings``: HGRG filing numbers (备案号) and the backups each cites (one row per pair), from
  FilingLinked; UNIQUE(filing_number, backup_id).
- ``members`` / ``member_institutions`` / ``member_units``: identity's accounts and institutions
  (members.py); mobile numbers as keyed hashes only.
- ``legacy_backups``: one row per imported legacy backup, the index claims search (legacy_store.py).

UNIQUE(backup_number) and UNIQUE(backup_id, accession) back up the domain's rules: whatever
the code above them gets wrong, the database refuses to store a duplicate.

The migrations (versions/0001..0007) spell the same tables out; a test runs Alembic's autogenerate
against a migrated database and expects no proposal. Migration 0006's indexes are ``INDEXES`` below
(0007 ends the list's sort indexes with id); its ``hgrip_bigrams`` function is created before the
tables when this metadata creates them (PostgreSQL only).
"""
from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    event,
    func,
)

from hgrip_kernel.store.tables import UTCDateTime

metadata = MetaData()

known_projects = Table(
    "known_projects", metadata,
    Column("project_id", String(36), primary_key=True),
    Column("owner_id", String(36), nullable=False, index=True),
    Column("institution_code", String(64), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("applied_event_id", String(36), nullable=False),
    Index("ix_known_projects_owner_name", "owner_id", "name"),
)

backups = Table(
    "backups", metadata,
    Column("id", String(36), primary_key=True),
    Column("project_id", String(36)),     # NULL for a legacy backup (no project here)
    Column("owner_id", String(36), nullable=False),
    Column("name", String(200), nullable=False),
    Column("categories", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("backup_number", String(20)),  # NULL until submitted
    Column("file_count", Integer, nullable=False),
    Column("total_mb", Float, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime),
    Column("institution_code", String(64), nullable=False),
    Column("unit_code", String(64)),
    Column("pi_name", String(50), nullable=False),
    Column("pi_email", String(254), nullable=False),
    Column("project_name", String(200), nullable=False),
    Column("version", Integer, nullable=False),  # stream version the row reflects
    Column("origin", String(10), nullable=False, server_default="new"),  # new | legacy
    UniqueConstraint("backup_number", name="uq_backups_backup_number"),
    Index("ix_backups_project_created", "project_id", "created_at"),
    Index("ix_backups_owner", "owner_id"),
    Index("ix_backups_institution_unit", "institution_code", "unit_code"),
    # The list's sort orders end with id, its tie-breaker (0007): a page is read off the index.
    Index("ix_backups_scope_status_created", "institution_code", "status", "created_at", "id"),
    Index("ix_backups_scope_unit_status_created", "institution_code", "unit_code", "status",
          "created_at", "id"),
)

data_files = Table(
    "data_files", metadata,
    Column("id", String(36), primary_key=True),
    Column("backup_id", String(36), ForeignKey("backups.id", name="fk_data_files_backup"), nullable=False),
    Column("position", Integer, nullable=False),  # order of addition within the backup
    Column("detailed_type", String(40), nullable=False),
    Column("repository", String(20), nullable=False),
    Column("cases", BigInteger, nullable=False),
    Column("mb_per_case", Float, nullable=False),
    Column("submission_account", String(254), nullable=False),
    Column("accession", String(64), nullable=False),
    Column("progress", String(30), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("backup_id", "accession", name="uq_data_files_backup_accession"),
    Index("ix_data_files_accession", "accession"),
)

backup_number_counters = Table(
    "backup_number_counters", metadata,
    Column("day", String(8), primary_key=True),   # YYYYMMDD, Beijing time
    Column("last", Integer, nullable=False),
)

filings = Table(
    "filings", metadata,
    Column("filing_number", String(64), nullable=False),
    Column("backup_id", String(36), ForeignKey("backups.id", name="fk_filings_backup"), nullable=False),
    Column("declared_mb", Float, nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("filed_at", UTCDateTime, nullable=False),
    UniqueConstraint("filing_number", "backup_id", name="uq_filings_number_backup"),
    Index("ix_filings_backup", "backup_id"),
)

members = Table(
    "members", metadata,
    Column("account_id", String(36), primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, index=True),
    Column("mobile_hash", String(64), index=True),
    Column("role", String(20), nullable=False),
    Column("institution_code", String(64), index=True),
    Column("unit_code", String(64)),
    Column("employed", Boolean, nullable=False),
    Column("authorised", Boolean, nullable=False),
    Column("authorised_at", UTCDateTime),
    Column("version", Integer, nullable=False),
)

member_institutions = Table(
    "member_institutions", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False),
    Column("foreign", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)

member_units = Table(
    "member_units", metadata,
    Column("institution_code", String(64), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
)

legacy_backups = Table(
    "legacy_backups", metadata,
    Column("backup_id", String(36), primary_key=True),
    Column("backup_number", String(32), nullable=False),
    Column("registrant_name", String(200), nullable=False),
    Column("registrant_name_key", String(200), nullable=False),
    Column("mobile_hash", String(64), nullable=False),
    Column("mobile_masked", String(20), nullable=False),
    Column("institution_name", String(200), nullable=False),
    Column("institution_key", String(200), nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime),
    Column("owner_id", String(36)),
    Column("how", String(20)),
    UniqueConstraint("backup_number", name="uq_legacy_backups_backup_number"),
    CheckConstraint("(claimed_at IS NULL) = (owner_id IS NULL) AND (claimed_at IS NULL) = (how IS NULL)",
                    name="ck_legacy_backups_claim_complete"),
    Index("ix_legacy_backups_registrant", "registrant_name_key", "mobile_hash"),
)


# --- migration 0006: the institution list's other sort orders, substring filters on PostgreSQL ---
# ``hgrip_bigrams(text)``: the distinct two-character pieces of lower(text); GIN indexes over it let a
# two-character search ("测序", "张晓") read only the rows holding every bigram (queries.contains).
BIGRAMS_FUNCTION = DDL("""
CREATE OR REPLACE FUNCTION hgrip_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(value), i, 2)), '{}')
  FROM generate_series(1, char_length(value) - 1) AS i
$$""")
event.listen(metadata, "before_create", BIGRAMS_FUNCTION.execute_if(dialect="postgresql"))


def _bigram_index(name: str, column: Column) -> Index:
    return Index(name, func.hgrip_bigrams(column), postgresql_using="gin").ddl_if(dialect="postgresql")


INDEXES = (
    # The other sort orders of the list, inside the scope and the tab, each ending with the
    # tie-breaker id: a page is an index range scan for them too (0004 covers created_at).
    Index("ix_backups_scope_status_number", backups.c.institution_code, backups.c.status,
          backups.c.backup_number, backups.c.id),
    Index("ix_backups_scope_status_name", backups.c.institution_code, backups.c.status,
          backups.c.name, backups.c.id),
    # Substring filters (PostgreSQL only).
    _bigram_index("ix_backups_name_bigrams", backups.c.name),
    _bigram_index("ix_backups_pi_name_bigrams", backups.c.pi_name),
    _bigram_index("ix_members_name_bigrams", members.c.name),
)
