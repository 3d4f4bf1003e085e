"""The migrations and ``adapters/tables.py`` agree: Alembic's autogenerate proposes nothing."""
from hgrip_kernel.schema_diff import autogenerate_diffs
from hgrip_verification.adapters.tables import metadata


def test_autogenerate_proposes_nothing(make_database):
    url = make_database("verification")           # a fresh PostgreSQL database, migrated to head
    assert autogenerate_diffs(url, metadata) == []
