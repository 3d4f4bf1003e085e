"""The kernel's tables, present in every service database: events, outbox, inbox."""
from datetime import UTC

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()

# INTEGER PRIMARY KEY on SQLite is the rowid alias (autoincrement); BIGINT identity elsewhere.
Position = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so we restore it on read)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


events = Table(
    "events", metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("source", String(50), nullable=False),
    Column("stream_type", String(50), nullable=False),
    Column("stream_id", String(200), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("actor", String(200)),
    Column("correlation_id", String(100), nullable=False),
    Column("causation_id", String(100)),
    Column("data", JSON, nullable=False),
    UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
)

# One row per event to publish: a pointer to the event, and its delivery state. A row is
# "published" once the broker confirmed it; the relay claims unpublished rows with FOR UPDATE SKIP
# LOCKED, so a late-committing row is never skipped. The message is built from the event itself.
outbox = Table(
    "outbox", metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("position", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL"),
          sqlite_where=text("published_at IS NULL")),
)

# Events a consumer has applied; written in the consumer's own transaction (idempotence).
inbox = Table(
    "inbox", metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("processed_at", UTCDateTime, nullable=False),
)
