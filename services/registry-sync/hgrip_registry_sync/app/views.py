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


def push_view(row: Mapping[str, Any]) -> dict:
    """A push row as the operator's console shows it: its state, attempts, last error and times."""
    return {"state": row["state"], "attempts": row["attempts"], "last_error": row["last_error"],
            "requested_at": _iso(row.get("requested_at")), "next_attempt_at": _iso(row["next_attempt_at"]),
            "synced_at": _iso(row["synced_at"]), "updated_at": _iso(row.get("updated_at"))}


def summary_view(summary: Mapping[str, Any], now: datetime) -> dict:
    """HGRG synchronisation at a glance (numbers and owner changes)."""
    counts, oldest, last = summary["counts"], summary["oldest_open_at"], summary["last_synced_at"]

    def queue(name: str) -> dict:
        opened = oldest.get(name)
        return {"pending": counts.get((name, "pending"), 0), "failing": counts.get((name, "failing"), 0),
                "synced": counts.get((name, "synced"), 0), "oldest_open_at": _iso(opened),
                "oldest_open_age_seconds": round((now - opened).total_seconds()) if opened else None,
                "last_synced_at": _iso(last.get(name))}

    numbers, owners = queue("number"), queue("owner_change")
    synced = [moment for moment in (last.get("number"), last.get("owner_change")) if moment]
    opened = [moment for moment in (oldest.get("number"), oldest.get("owner_change")) if moment]
    return {"pending": numbers["pending"] + owners["pending"], "failing": numbers["failing"] + owners["failing"],
            "oldest_pending_at": _iso(min(opened)) if opened else None,
            "oldest_pending_age_seconds": round((now - min(opened)).total_seconds()) if opened else None,
            "last_synced_at": _iso(max(synced)) if synced else None,
            "numbers": numbers, "owner_changes": owners, "at": now.isoformat()}
