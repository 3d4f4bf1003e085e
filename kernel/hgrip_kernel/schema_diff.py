"""What Alembic's autogenerate would propose for a database: nothing, when models and migrations agree.

A service's model is its own ``metadata`` (one module, ``adapters/tables.py``) plus the kernel's tables
(events, outbox, inbox), which every service database holds too.
"""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from .store import tables as kernel_tables
from .store.engine import create_engine


def with_kernel_tables(service_metadata: MetaData) -> MetaData:
    """One MetaData holding the kernel's tables and the service's, as the database does."""
    combined = MetaData()
    for table in (*kernel_tables.metadata.tables.values(), *service_metadata.tables.values()):
        table.to_metadata(combined)
    return combined


def autogenerate_diffs(url: str, service_metadata: MetaData) -> list:
    """Alembic's proposed operations against the database at ``url`` (empty: nothing to migrate)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, with_kernel_tables(service_metadata))
    finally:
        engine.dispose()
