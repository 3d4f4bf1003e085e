"""The two push queues — backup numbers and owner changes — and what differs between them: what a row
is keyed by, how the aggregate is restored from its row (a snapshot), what kind of item HGRG gets it
as in a batch, and how each stored event changes its row (``row_change``: the fold both the database and the fakes use).
"""
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hgrip_kernel.envelope import Envelope

from ..domain import FAILING, PENDING, SYNCED, OwnerChange, PushState, SyncState
from .ports import RowChange


@dataclass(frozen=True)
class PushQueue:
    name: str                                                   # in claims and logs
    key: str                                                    # what a row is keyed by, bound in logs
    restore: Callable[[Mapping[str, Any]], PushState]           # the aggregate, from its row (a snapshot)
    kind: str                                                   # the item's kind in a batch (hgrg.md §6)
    requested: Callable[[dict], dict]                           # the row's own columns, from the request


def _requested_at(row: Mapping[str, Any]) -> datetime | None:
    """When the number was requested; rows older than the column fall back on the submission time."""
    if row.get("requested_at") is not None:
        return row["requested_at"]
    submitted = (row.get("payload") or {}).get("submitted_at")
    return datetime.fromisoformat(submitted) if submitted else None


NUMBERS = PushQueue(
    "number", "backup_number",
    lambda row: SyncState.restore(row["backup_number"], row["state"], row["attempts"], row["version"],
                                  backup_id=row.get("backup_id"), requested_at=_requested_at(row),
                                  overdue_reported=row.get("overdue_at") is not None),
    "backup",
    lambda data: {"backup_number": data["backup_number"], "backup_id": data["backup_id"],
                  "requested_at": datetime.fromisoformat(data["requested_at"])})
OWNER_CHANGES = PushQueue(
    "owner_change", "change_id",
    lambda row: OwnerChange.restore(row["change_id"], row["backup_number"], row["state"],
                                    row["attempts"], row["version"]),
    "owner_change",
    lambda data: {"change_id": data["change_id"], "backup_number": data["backup_number"],
                  "backup_id": data["payload"]["backup_id"], "reason": data["reason"],
                  "owner_username": data["payload"]["owner_username"], "sequence": data["sequence"]})
QUEUES = {queue.name: queue for queue in (NUMBERS, OWNER_CHANGES)}

# The event that starts a push, fails one, or ends one, and its queue.
_REQUESTED = {"SyncRequested": NUMBERS, "OwnerChangeRequested": OWNER_CHANGES}
_FAILED = {"SyncAttemptFailed": NUMBERS, "OwnerChangeAttemptFailed": OWNER_CHANGES}
_SYNCED = {"BackupSynced": NUMBERS, "OwnerChangeSynced": OWNER_CHANGES}


def row_change(envelope: Envelope) -> RowChange:
    """How one stored event changes its row; the events' correlation id is the original request's."""
    data, event_type = envelope.data, envelope.event_type
    common = {"version": envelope.stream_version, "updated_at": envelope.occurred_at}
    if event_type in _REQUESTED:
        queue = _REQUESTED[event_type]
        values = {**queue.requested(data), "state": PENDING, "attempts": 0,
                  "next_attempt_at": datetime.fromisoformat(data["requested_at"]), "payload": data["payload"],
                  "correlation_id": envelope.correlation_id, **common}
        return RowChange(queue.name, values[queue.key], values, new=True)
    if event_type in _FAILED:
        queue = _FAILED[event_type]
        return RowChange(queue.name, data[queue.key], {
            "state": FAILING, "attempts": data["attempt"], "last_error": data["error"],
            "next_attempt_at": datetime.fromisoformat(data["next_attempt_at"]), **common})
    if event_type in _SYNCED:
        queue = _SYNCED[event_type]
        return RowChange(queue.name, data[queue.key], {
            "state": SYNCED, "attempts": data["attempt"], "last_error": None, "next_attempt_at": None,
            "synced_at": datetime.fromisoformat(data["synced_at"]), **common})
    if event_type == "BackupSyncOverdue":   # reported once; the push goes on as before
        return RowChange(NUMBERS.name, data["backup_number"], {
            "overdue_at": datetime.fromisoformat(data["overdue_at"]), **common})
    raise ValueError(f"the push queues cannot apply {event_type}")
