"""The tables the migrations built are the tables adapters/tables.py describes: Alembic proposes nothing."""
from hgrip_kernel.schema_diff import autogenerate_diffs
from hgrip_projects.adapters.tables import metadata


def test_autogenerate_proposes_nothing(make_database):
    url = make_database("projects")  # a fresh PostgreSQL database, migrated to head
    assert autogenerate_diffs(url, metadata) == []
