"""The SyncState aggregate (stream ``sync-<backup_number>``): one backup number's way to HGRG.

pending ──push fails──▶ failing ──push fails──▶ failing …
   └──────push ok──────────┴──────push ok──────▶ synced (final)

The states and attempts are every push's (``push_state.py``); this one carries the number, and
says when the number is overdue: still not at HGRG longer than a threshold after it was requested
(``report_overdue``, once — a number has one failing spell, synced being final).
"""
from datetime import datetime, timedelta

from .push_state import FAILING, MAX_ERROR_LENGTH, OPEN_STATES, PENDING, SYNCED, PushState, iso

__all__ = ["SyncState", "sync_stream_id", "PENDING", "FAILING", "SYNCED", "OPEN_STATES"]

STREAM_PREFIX = "sync-"


def sync_stream_id(backup_number: str) -> str:
    return f"{STREAM_PREFIX}{backup_number}"


class SyncState(PushState):
    stream_type = "sync"
    failed_event = "SyncAttemptFailed"
    synced_event = "BackupSynced"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.backup_id: str | None = None
        self.requested_at: datetime | None = None   # when its way to HGRG began
        self.overdue_reported = False

    @property
    def backup_number(self) -> str | None:
        return self.identity.get("backup_number")

    def overdue(self, now: datetime, threshold: timedelta) -> bool:
        """Not at HGRG yet, it has failed, and more than ``threshold`` has passed since it was requested."""
        return (self.state == FAILING and self.requested_at is not None
                and now - self.requested_at > threshold)

    def report_overdue(self, now: datetime, threshold: timedelta, last_error: str) -> bool:
        """Record BackupSyncOverdue if the number is overdue and was not reported yet; True if recorded.
        Called after a failed attempt (the pusher's), so it is noticed within one backoff delay."""
        if self.overdue_reported or not self.overdue(now, threshold) or self.backup_id is None:
            return False
        assert self.requested_at is not None
        self.record("BackupSyncOverdue", {
            **self.identity, "backup_id": self.backup_id, "since": iso(self.requested_at),
            "attempts": self.attempts, "last_error": (last_error or "unknown error")[:MAX_ERROR_LENGTH],
            "threshold_seconds": int(threshold.total_seconds()), "overdue_at": iso(now),
        })
        return True

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
    def restore(cls, backup_number: str, state: str, attempts: int, version: int, backup_id: str | None = None,
                requested_at: datetime | None = None, overdue_reported: bool = False) -> "SyncState":
        """From the ``sync_states`` row, a snapshot of the stream (see ``PushState._restored``)."""
        sync = cls._restored(sync_stream_id(backup_number), {"backup_number": backup_number},
                             state, attempts, version)
        sync.backup_id, sync.requested_at, sync.overdue_reported = backup_id, requested_at, overdue_reported
        return sync

    def apply_SyncRequested(self, data: dict) -> None:
        self._on_requested({"backup_number": data["backup_number"]})
        self.backup_id = data["backup_id"]
        self.requested_at = datetime.fromisoformat(data["requested_at"])

    def apply_BackupSyncOverdue(self, data: dict) -> None:
        self.overdue_reported = True

    apply_SyncAttemptFailed = PushState._on_failed
    apply_BackupSynced = PushState._on_synced
