"""``sync_states``: one row per backup number, written in the same transaction as its events.

The row is the pusher's work queue (due rows are claimed with FOR UPDATE SKIP LOCKED), the
answer of ``get_sync_state``, and a snapshot of the aggregate (``version``), so a retry does not
re-read a stream that grows with every failed attempt. Everything but the lease can be rebuilt
from the events.
"""
from datetime import datetime

from hgrip_kernel.store.tables import UTCDateTime
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)

from .domain import FAILING, OPEN_STATES, PENDING, SYNCED

metadata = MetaData()

SYNC_STATES = (PENDING, SYNCED, FAILING)

sync_states = Table(
    "sync_states", metadata,
    Column("backup_number", String(32), primary_key=True),
    Column("backup_id", String(36), nullable=False),
    Column("state", String(16), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    # When the next push is due; also the lease of a push in flight (see pusher.py); NULL once synced.
    Column("next_attempt_at", UTCDateTime),
    Column("synced_at", UTCDateTime),
    Column("payload", JSON, nullable=False),             # the BackupSubmitted data, pushed as is
    Column("correlation_id", String(100), nullable=False),  # of the submit request: bound in logs
    Column("version", Integer, nullable=False),          # stream version the row reflects
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("state IN ('pending', 'synced', 'failing')", name="ck_sync_states_state"),
    Index("ix_sync_states_due", "state", "next_attempt_at"),
)


def exists(connection, backup_number: str) -> bool:
    query = select(sync_states.c.backup_number).where(sync_states.c.backup_number == backup_number)
    return connection.execute(query).first() is not None


def get(connection, backup_number: str, for_update: bool = False):
    query = select(sync_states).where(sync_states.c.backup_number == backup_number)
    if for_update:
        query = query.with_for_update()
    return connection.execute(query).mappings().first()


def claim_due(connection, now: datetime, lease_until: datetime, limit: int) -> list:
    """Rows due for a push, leased until ``lease_until`` so no one else takes them meanwhile.

    SKIP LOCKED lets several instances claim at once without waiting on each other or taking the
    same row (PostgreSQL); SQLite ignores it, where BEGIN IMMEDIATE serialises claims instead.
    """
    rows = connection.execute(
        select(sync_states.c.backup_number, sync_states.c.payload, sync_states.c.correlation_id,
               sync_states.c.attempts)
        .where(sync_states.c.state.in_(OPEN_STATES), sync_states.c.next_attempt_at <= now)
        .order_by(sync_states.c.next_attempt_at, sync_states.c.backup_number)
        .limit(limit).with_for_update(skip_locked=True)).all()
    if rows:
        connection.execute(update(sync_states)
                           .where(sync_states.c.backup_number.in_([row.backup_number for row in rows]))
                           .values(next_attempt_at=lease_until))
    return rows


def apply(connection, envelope) -> None:
    """Fold one stored event into the row; the events' correlation id is the submit request's."""
    data = envelope.data
    key = sync_states.c.backup_number == data["backup_number"]
    common = {"version": envelope.stream_version, "updated_at": envelope.occurred_at}
    if envelope.event_type == "SyncRequested":
        connection.execute(insert(sync_states).values(
            backup_number=data["backup_number"], backup_id=data["backup_id"], state=PENDING,
            attempts=0, next_attempt_at=datetime.fromisoformat(data["requested_at"]),
            payload=data["payload"], correlation_id=envelope.correlation_id,
            **common))
    elif envelope.event_type == "SyncAttemptFailed":
        connection.execute(update(sync_states).where(key).values(
            state=FAILING, attempts=data["attempt"], last_error=data["error"],
            next_attempt_at=datetime.fromisoformat(data["next_attempt_at"]), **common))
    elif envelope.event_type == "BackupSynced":
        connection.execute(update(sync_states).where(key).values(
            state=SYNCED, attempts=data["attempt"], last_error=None, next_attempt_at=None,
            synced_at=datetime.fromisoformat(data["synced_at"]), **common))
    else:
        raise ValueError(f"sync_states cannot apply {envelope.event_type}")


def to_dict(row) -> dict:
    """The sync state as ``get_sync_state`` returns it (docs/backup-lifecycle.md)."""
    def iso(moment):
        return moment.isoformat() if moment else None
    return {"backup_number": row["backup_number"], "state": row["state"], "attempts": row["attempts"],
            "last_error": row["last_error"], "synced_at": iso(row["synced_at"]),
            "next_attempt_at": iso(row["next_attempt_at"])}
