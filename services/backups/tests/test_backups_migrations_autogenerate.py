"""The model (adapters/tables.py) and the applied migrations agree: autogenerate proposes nothing."""
from hgrip_backups.adapters.tables import metadata
from hgrip_kernel.schema_diff import autogenerate_diffs


def test_autogenerate_proposes_nothing(make_database):
    url = make_database("backups")           # a fresh PostgreSQL database, migrated to head
    assert autogenerate_diffs(url, metadata) == []
