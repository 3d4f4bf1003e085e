"""Alembic helpers shared by every service's migrations."""
import zlib

import sqlalchemy as sa
from alembic import context
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url

from .schema_diff import with_kernel_tables
from .store.engine import create_engine
from .store.tables import UTCDateTime


def create_kernel_tables(op) -> None:
    """Version 1 of events, outbox and inbox, inside a service's first migration.

    Spelled out rather than ``metadata.create_all``: a migration must create the same tables forever,
    whatever the kernel's model becomes; later kernel changes come as new, named helpers.
    """
    position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "events",
        sa.Column("position", position, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("stream_type", sa.String(50), nullable=False),
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("stream_version", sa.Integer, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("correlation_id", sa.String(100), nullable=False),
        sa.Column("causation_id", sa.String(100)),
        sa.Column("data", sa.JSON, nullable=False),
        sa.UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"))
    op.create_table(
        "outbox",
        sa.Column("id", position, primary_key=True, autoincrement=True),
        sa.Column("position", position, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("published_at", UTCDateTime),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text))
    op.create_index("ix_outbox_unpublished", "outbox", ["id"],
                    postgresql_where=sa.text("published_at IS NULL"),
                    sqlite_where=sa.text("published_at IS NULL"))
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", UTCDateTime, nullable=False))


def drop_kernel_tables(op) -> None:
    for table in ("inbox", "outbox", "events"):
        op.drop_table(table)


def run_env(target_metadata: MetaData | None) -> None:
    """Body of every service's ``migrations/env.py`` (online mode only)."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic's sqlalchemy.url is not set")
    engine = create_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # Several instances may start at once: one migrates, the others wait and find it done.
            key = zlib.crc32((make_url(url).database or "").encode())
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            connection.commit()
        # The kernel's tables are in every service database: autogenerate must know them too.
        metadata = with_kernel_tables(target_metadata) if target_metadata is not None else None
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()
