"""Sync state of each backup number pushed to HGRG (written once the push exists)."""
from hgrip_kernel.store.tables import UTCDateTime
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, text

metadata = MetaData()

SYNC_STATES = ("pending", "synced", "failed")

sync_states = Table(
    "sync_states", metadata,
    Column("backup_number", String(32), primary_key=True),
    Column("state", String(16), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("synced_at", UTCDateTime),
)
