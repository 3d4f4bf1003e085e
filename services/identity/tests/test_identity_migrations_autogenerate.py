"""The tables the migrations built are the tables adapters/tables.py describes: Alembic proposes nothing."""
from hgrip_identity.adapters.tables import metadata
from hgrip_kernel.schema_diff import autogenerate_diffs


def test_autogenerate_proposes_nothing(make_database):
    url = make_database("identity")  # a fresh PostgreSQL database, migrated to head
    assert autogenerate_diffs(url, metadata) == []
