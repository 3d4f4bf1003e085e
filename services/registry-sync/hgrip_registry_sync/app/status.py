"""What the RPCs answer about the push queues: one backup number's sync, and its owner changes."""
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..domain import refusals
from .ports import PushRows


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def sync_state(rows: PushRows, backup_number: str) -> dict:
    """The sync state as ``get_sync_state`` returns it (docs/backup-lifecycle.md), or not found."""
    row = rows.sync_state(backup_number)
    if row is None:
        raise refusals.sync_state_not_found(backup_number)
    return {"backup_number": row["backup_number"], "state": row["state"], "attempts": row["attempts"],
            "last_error": row["last_error"], "synced_at": _iso(row["synced_at"]),
            "next_attempt_at": _iso(row["next_attempt_at"])}


def owner_changes(rows: PushRows, backup_number: object) -> list[dict]:
    """Every owner change of a backup number pushed (or to push) to HGRG, by sequence; [] if none."""
    if not isinstance(backup_number, str) or not backup_number.strip():
        raise refusals.invalid_backup_number(backup_number)
    return [_owner_change(row) for row in rows.owner_changes_of(backup_number.strip())]


def _owner_change(row: Mapping[str, Any]) -> dict:
    return {"change_id": row["change_id"], "backup_number": row["backup_number"],
            "reason": row["reason"], "owner_username": row["owner_username"],
            "sequence": row["sequence"], "state": row["state"], "attempts": row["attempts"],
            "last_error": row["last_error"], "synced_at": _iso(row["synced_at"])}
