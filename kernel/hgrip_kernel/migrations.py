"""Alembic helpers shared by every service's migrations."""
import zlib

from alembic import context
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url

from .store.engine import create_engine
from .store.tables import metadata as kernel_metadata


def create_kernel_tables(op) -> None:
    """Create events, outbox and inbox inside a service's first migration."""
    bind = op.get_bind()
    kernel_metadata.create_all(bind)


def drop_kernel_tables(op) -> None:
    kernel_metadata.drop_all(op.get_bind())


def run_env(target_metadata: MetaData | None) -> None:
    """Body of every service's ``migrations/env.py`` (online mode only)."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Several instances may start at once: one migrates, the others wait and find it done.
            key = zlib.crc32(make_url(url).database.encode())
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()
