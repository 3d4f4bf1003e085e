"""What registry-sync's RPCs answer: plain dicts in the contract's shapes (docs/backup-lifecycle.md) —
pure functions of the push queues' rows."""
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def sync_state_view(row: Mapping[str, Any]) -> dict:
    """A ``sync_states`` row as ``get_sync_state`` returns it."""
    return {"backup_number": row["backup_number"], "state": row["state"], "attempts": row["attempts"],
            "last_error": row["last_error"], "synced_at": _iso(row["synced_at"]),
            "next_attempt_at": _iso(row["next_attempt_at"])}


def owner_change_view(row: Mapping[str, Any]) -> dict:
    """An ``owner_changes`` row as ``get_owner_changes`` lists it."""
    return {"change_id": row["change_id"], "backup_number": row["backup_number"],
            "reason": row["reason"], "owner_username": row["owner_username"],
            "sequence": row["sequence"], "state": row["state"], "attempts": row["attempts"],
            "last_error": row["last_error"], "synced_at": _iso(row["synced_at"])}
