"""The SyncState aggregate (stream ``sync-<backup_number>``): one backup number's way to HGRG.

pending ──push fails──▶ failing ──push fails──▶ failing …
   └──────push ok──────────┴──────push ok──────▶ synced (final)

There is no "failed": a sync never gives up (the backoff caps the wait, not the number of tries).
"""
from datetime import datetime, timedelta, timezone
from typing import Callable

from hgrip_kernel.aggregate import Aggregate

from .backoff import BackoffPolicy

PENDING, FAILING, SYNCED = "pending", "failing", "synced"
OPEN_STATES = (PENDING, FAILING)   # still to be pushed
HGRG_STATUSES = ("received", "duplicate")
MAX_ERROR_LENGTH = 500
STREAM_PREFIX = "sync-"


def sync_stream_id(backup_number: str) -> str:
    return f"{STREAM_PREFIX}{backup_number}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


class SyncState(Aggregate):
    stream_type = "sync"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.backup_number: str | None = None
        self.state: str | None = None
        self.attempts = 0

    @classmethod
    def request(cls, backup_number: str, backup_id: str, payload: dict, submitted_event_id: str,
                now: datetime) -> "SyncState":
        """A backup number to push; ``payload`` (the BackupSubmitted data) is sent to HGRG as is."""
        if not backup_number:
            raise ValueError("a backup number is required")
        sync = cls(sync_stream_id(backup_number))
        sync.record("SyncRequested", {
            "backup_number": backup_number, "backup_id": backup_id,
            "submitted_event_id": submitted_event_id, "requested_at": _iso(now),
            "payload": payload,
        })
        return sync

    @classmethod
    def restore(cls, backup_number: str, state: str, attempts: int, version: int) -> "SyncState":
        """Rebuild from the read-model row (a snapshot kept in the same transaction as the events).

        A sync that fails every minute for days grows a long stream; folding all of it before each
        attempt would cost more with every retry. The store still checks ``version`` on append.
        """
        sync = cls(sync_stream_id(backup_number))
        sync.backup_number, sync.state, sync.attempts, sync.version = backup_number, state, attempts, version
        return sync

    @property
    def synced(self) -> bool:
        return self.state == SYNCED

    def attempt_failed(self, error: str, now: datetime, policy: BackoffPolicy,
                       rand: Callable[[], float] | None = None) -> datetime:
        """Record a failed push; returns when to try again."""
        self._require_open()
        attempt = self.attempts + 1
        delay = policy.delay(attempt) if rand is None else policy.delay(attempt, rand)
        next_attempt_at = now + timedelta(seconds=delay)
        self.record("SyncAttemptFailed", {
            "backup_number": self.backup_number, "attempt": attempt,
            "error": (error or "unknown error")[:MAX_ERROR_LENGTH],
            "next_attempt_at": _iso(next_attempt_at),
        })
        return next_attempt_at

    def succeeded(self, hgrg_status: str, now: datetime) -> None:
        """HGRG has the number: ``received`` now, or ``duplicate`` (an earlier push got through)."""
        self._require_open()
        if hgrg_status not in HGRG_STATUSES:
            raise ValueError(f"unknown HGRG status {hgrg_status!r}")
        self.record("BackupSynced", {
            "backup_number": self.backup_number, "attempt": self.attempts + 1,
            "synced_at": _iso(now), "hgrg_status": hgrg_status,
        })

    def _require_open(self) -> None:
        if self.state not in OPEN_STATES:
            raise ValueError(f"{self.id} is {self.state}: no further attempt can be recorded")

    def apply_SyncRequested(self, data: dict) -> None:
        self.backup_number, self.state, self.attempts = data["backup_number"], PENDING, 0

    def apply_SyncAttemptFailed(self, data: dict) -> None:
        self.state, self.attempts = FAILING, data["attempt"]

    def apply_BackupSynced(self, data: dict) -> None:
        self.state, self.attempts = SYNCED, data["attempt"]
