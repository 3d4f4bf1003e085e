"""The migrations and ``adapters/tables.py`` agree: Alembic's autogenerate proposes nothing."""
from hgrip_kernel.schema_diff import autogenerate_diffs
from hgrip_registry_sync.adapters.tables import metadata


def test_autogenerate_proposes_nothing(make_database):
    url = make_database("registry-sync")          # a fresh PostgreSQL database, migrated to head
    assert autogenerate_diffs(url, metadata) == []
