"""Every table and index of the registry-sync database, on one ``metadata`` (migrations/env.py uses it).

The push queues: one row per thing to push to HGRG, written in the same transaction as its events.

- ``sync_states``: one row per backup number (stream ``sync-<number>``);
- ``owner_changes``: one row per change of a numbered backup's owner (stream ``owner-<change_id>``).

A row is the pusher's work queue (due rows are claimed with FOR UPDATE SKIP LOCKED), the answer
of the RPC calls, and a snapshot of the aggregate (``version``), so a retry does not re-read a
stream that grows with every failed attempt. Everything but the lease can be rebuilt from the
events. Both tables share the queue's columns (``_queue_columns``) and so every query.
"""
from sqlalchemy import JSON, CheckConstraint, Column, Index, Integer, MetaData, String, Table, Text, text
from sqlalchemy.schema import SchemaItem

from hgrip_kernel.store.tables import UTCDateTime

metadata = MetaData()


def _queue_columns(table: str) -> list[SchemaItem]:
    """The columns, check and index of a push queue (the pusher reads and writes only these)."""
    return [
        Column("state", String(16), nullable=False, server_default=text("'pending'")),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        # When the next push is due; also the lease of a push in flight (see app/pushing.py); NULL once synced.
        Column("next_attempt_at", UTCDateTime),
        Column("synced_at", UTCDateTime),
        Column("payload", JSON, nullable=False),                # the body pushed to HGRG, as is
        Column("correlation_id", String(100), nullable=False),  # of the request behind it: bound in logs
        Column("version", Integer, nullable=False),             # stream version the row reflects
        Column("updated_at", UTCDateTime, nullable=False),
        CheckConstraint("state IN ('pending', 'synced', 'failing')", name=f"ck_{table}_state"),
        Index(f"ix_{table}_due", "state", "next_attempt_at"),
    ]


sync_states = Table(
    "sync_states", metadata,
    Column("backup_number", String(32), primary_key=True),
    Column("backup_id", String(36), nullable=False),
    *_queue_columns("sync_states"),   # payload: the BackupSubmitted data
    Column("requested_at", UTCDateTime),   # when its way to HGRG began (NULL in rows older than 0004)
    Column("overdue_at", UTCDateTime),     # when BackupSyncOverdue was recorded (once), else NULL
)

owner_changes = Table(
    "owner_changes", metadata,
    Column("change_id", String(36), primary_key=True),   # the BackupDelegated/BackupClaimed event id
    Column("backup_number", String(32), nullable=False),
    Column("backup_id", String(36), nullable=False),
    Column("reason", String(16), nullable=False),         # delegated | claimed
    Column("owner_username", String(100), nullable=False),
    Column("sequence", Integer, nullable=False),          # the backup stream's version: newer is higher
    *_queue_columns("owner_changes"),                     # payload: the owner-change body
    Index("ix_owner_changes_number", "backup_number", "sequence"),
)

# The table of each queue (app/queues.py names them).
QUEUE_TABLES = {"number": sync_states, "owner_change": owner_changes}
