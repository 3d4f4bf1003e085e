"""The push queues: one row per thing to push to HGRG, written in the same transaction as its events.

- ``sync_states``: one row per backup number (stream ``sync-<number>``);
- ``owner_changes``: one row per change of a numbered backup's owner (stream ``owner-<change_id>``).

A row is the pusher's work queue (due rows are claimed with FOR UPDATE SKIP LOCKED), the answer
of the RPC calls, and a snapshot of the aggregate (``version``), so a retry does not re-read a
stream that grows with every failed attempt. Everything but the lease can be rebuilt from the
events. Both tables share the queue's columns (``_queue_columns``) and so every query below.
"""
from datetime import datetime

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

from hgrip_kernel.store.tables import UTCDateTime

from .domain import FAILING, OPEN_STATES, PENDING, SYNCED

metadata = MetaData()

SYNC_STATES = (PENDING, SYNCED, FAILING)


def _queue_columns(table: str) -> list:
    """The columns, check and index of a push queue (the pusher reads and writes only these)."""
    return [
        Column("state", String(16), nullable=False, server_default=text("'pending'")),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
        # When the next push is due; also the lease of a push in flight (see pusher.py); NULL once synced.
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

# The event that starts a push, the row it inserts (beyond the queue's columns), and its table.
_REQUESTED = {
    "SyncRequested": (sync_states, lambda data: {"backup_number": data["backup_number"],
                                                 "backup_id": data["backup_id"]}),
    "OwnerChangeRequested": (owner_changes, lambda data: {
        "change_id": data["change_id"], "backup_number": data["backup_number"],
        "backup_id": data["payload"]["backup_id"], "reason": data["reason"],
        "owner_username": data["payload"]["owner_username"], "sequence": data["sequence"]}),
}
_FAILED = {"SyncAttemptFailed": sync_states, "OwnerChangeAttemptFailed": owner_changes}
_SYNCED = {"BackupSynced": sync_states, "OwnerChangeSynced": owner_changes}


def _key(table: Table):
    [column] = table.primary_key.columns
    return column


def exists(connection, backup_number: str) -> bool:
    query = select(sync_states.c.backup_number).where(sync_states.c.backup_number == backup_number)
    return connection.execute(query).first() is not None


def get(connection, key: str, for_update: bool = False, table: Table = sync_states):
    """The row of one push: a backup number's (default) or, with ``table=owner_changes``, a change's."""
    query = select(table).where(_key(table) == key)
    if for_update:
        query = query.with_for_update()
    return connection.execute(query).mappings().first()


def claim_due(connection, now: datetime, lease_until: datetime, limit: int,
              table: Table = sync_states) -> list:
    """Rows of one queue due for a push, leased until ``lease_until`` so no one else takes them
    meanwhile; each with ``key`` (its primary key), ``payload``, ``correlation_id``, ``attempts``.

    SKIP LOCKED lets several instances claim at once without waiting on each other or taking the
    same row (PostgreSQL); SQLite ignores it, where BEGIN IMMEDIATE serialises claims instead.
    """
    key = _key(table)
    rows = connection.execute(
        select(key.label("key"), table.c.payload, table.c.correlation_id, table.c.attempts)
        .where(table.c.state.in_(OPEN_STATES), table.c.next_attempt_at <= now)
        .order_by(table.c.next_attempt_at, key)
        .limit(limit).with_for_update(skip_locked=True)).all()
    if rows:
        connection.execute(update(table).where(key.in_([row.key for row in rows]))
                           .values(next_attempt_at=lease_until))
    return rows


def apply(connection, envelope) -> None:
    """Fold one stored event into its row; the events' correlation id is the original request's."""
    data, event_type = envelope.data, envelope.event_type
    common = {"version": envelope.stream_version, "updated_at": envelope.occurred_at}
    if event_type in _REQUESTED:
        table, identity = _REQUESTED[event_type]
        connection.execute(insert(table).values(
            **identity(data), state=PENDING, attempts=0,
            next_attempt_at=datetime.fromisoformat(data["requested_at"]), payload=data["payload"],
            correlation_id=envelope.correlation_id, **common))
    elif event_type in _FAILED:
        table = _FAILED[event_type]
        connection.execute(update(table).where(_key(table) == data[_key(table).name]).values(
            state=FAILING, attempts=data["attempt"], last_error=data["error"],
            next_attempt_at=datetime.fromisoformat(data["next_attempt_at"]), **common))
    elif event_type in _SYNCED:
        table = _SYNCED[event_type]
        connection.execute(update(table).where(_key(table) == data[_key(table).name]).values(
            state=SYNCED, attempts=data["attempt"], last_error=None, next_attempt_at=None,
            synced_at=datetime.fromisoformat(data["synced_at"]), **common))
    else:
        raise ValueError(f"the push queues cannot apply {event_type}")


def owner_changes_of(connection, backup_number: str) -> list:
    """Every owner change of one backup number, oldest (lowest sequence) first."""
    return connection.execute(
        select(owner_changes).where(owner_changes.c.backup_number == backup_number)
        .order_by(owner_changes.c.sequence, owner_changes.c.change_id)).mappings().all()


def _iso(moment):
    return moment.isoformat() if moment else None


def to_dict(row) -> dict:
    """The sync state as ``get_sync_state`` returns it (docs/backup-lifecycle.md)."""
    return {"backup_number": row["backup_number"], "state": row["state"], "attempts": row["attempts"],
            "last_error": row["last_error"], "synced_at": _iso(row["synced_at"]),
            "next_attempt_at": _iso(row["next_attempt_at"])}


def owner_change_to_dict(row) -> dict:
    """One owner change as ``get_owner_changes`` returns it."""
    return {"change_id": row["change_id"], "backup_number": row["backup_number"],
            "reason": row["reason"], "owner_username": row["owner_username"],
            "sequence": row["sequence"], "state": row["state"], "attempts": row["attempts"],
            "last_error": row["last_error"], "synced_at": _iso(row["synced_at"])}
