"""The SyncState aggregate (stream ``sync-<backup_number>``): one backup number's way to HGRG.

pending ──push fails──▶ failing ──push fails──▶ failing …
   └──────push ok──────────┴──────push ok──────▶ synced (final)

The states and attempts are every push's (``push_state.py``); this one carries the number.
"""
from datetime import datetime

from .push_state import FAILING, OPEN_STATES, PENDING, SYNCED, PushState, iso

__all__ = ["SyncState", "sync_stream_id", "PENDING", "FAILING", "SYNCED", "OPEN_STATES"]

STREAM_PREFIX = "sync-"


def sync_stream_id(backup_number: str) -> str:
    return f"{STREAM_PREFIX}{backup_number}"


class SyncState(PushState):
    stream_type = "sync"
    failed_event = "SyncAttemptFailed"
    synced_event = "BackupSynced"

    @property
    def backup_number(self) -> str | None:
        return self.identity.get("backup_number")

    @classmethod
    def request(cls, backup_number: str, backup_id: str, payload: dict, submitted_event_id: str,
                now: datetime) -> "SyncState":
        """A backup number to push; ``payload`` (the BackupSubmitted data) is sent to HGRG as is."""
        if not backup_number:
            raise ValueError("a backup number is required")
        sync = cls(sync_stream_id(backup_number))
        sync.record("SyncRequested", {
            "backup_number": backup_number, "backup_id": backup_id,
            "submitted_event_id": submitted_event_id, "requested_at": iso(now),
            "payload": payload,
        })
        return sync

    @classmethod
    def restore(cls, backup_number: str, state: str, attempts: int, version: int) -> "SyncState":
        """From the ``sync_states`` row, a snapshot of the stream (see ``PushState._restored``)."""
        return cls._restored(sync_stream_id(backup_number), {"backup_number": backup_number},
                             state, attempts, version)

    def apply_SyncRequested(self, data: dict) -> None:
        self._on_requested({"backup_number": data["backup_number"]})

    apply_SyncAttemptFailed = PushState._on_failed
    apply_BackupSynced = PushState._on_synced
