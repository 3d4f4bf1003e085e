"""PushState: one thing HGRG must get, pushed until it has it. The states every push shares:

pending ──push fails──▶ failing ──push fails──▶ failing …
   └──────push ok──────────┴──────push ok──────▶ synced (final)

There is no "failed": a push never gives up (the backoff caps the wait, not the number of tries).
A subclass names its events and says which fields identify it in each of them
(``SyncState``: a backup number; ``OwnerChange``: a change of owner of one).
"""
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Self

from hgrip_kernel.aggregate import Aggregate

from .backoff import BackoffPolicy

PENDING, FAILING, SYNCED = "pending", "failing", "synced"
OPEN_STATES = (PENDING, FAILING)   # still to be pushed
HGRG_STATUSES = ("received", "duplicate")
MAX_ERROR_LENGTH = 500


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


class PushState(Aggregate):
    failed_event: ClassVar[str]   # e.g. "SyncAttemptFailed"
    synced_event: ClassVar[str]   # e.g. "BackupSynced"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.identity: dict = {}   # the fields naming this push in every event it records
        self.state: str | None = None
        self.attempts = 0

    @classmethod
    def _restored(cls, stream_id: str, identity: dict, state: str, attempts: int,
                  version: int) -> Self:
        """Rebuild from the read-model row (a snapshot kept in the same transaction as the events).

        A push that fails every minute for days grows a long stream; folding all of it before each
        attempt would cost more with every retry. The store still checks ``version`` on append.
        """
        push = cls(stream_id)
        push.identity, push.state, push.attempts, push.version = dict(identity), state, attempts, version
        return push

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
        self.record(self.failed_event, {
            **self.identity, "attempt": attempt,
            "error": (error or "unknown error")[:MAX_ERROR_LENGTH],
            "next_attempt_at": iso(next_attempt_at),
        })
        return next_attempt_at

    def succeeded(self, hgrg_status: str, now: datetime) -> None:
        """HGRG has it: ``received`` now, or ``duplicate`` (an earlier push got through)."""
        self._require_open()
        if hgrg_status not in HGRG_STATUSES:
            raise ValueError(f"unknown HGRG status {hgrg_status!r}")
        self.record(self.synced_event, {
            **self.identity, "attempt": self.attempts + 1,
            "synced_at": iso(now), "hgrg_status": hgrg_status,
        })

    def _require_open(self) -> None:
        if self.state not in OPEN_STATES:
            raise ValueError(f"{self.id} is {self.state}: no further attempt can be recorded")

    # Subclasses bind these to their event names: apply_<FailedEvent> = PushState._on_failed …
    def _on_requested(self, identity: dict) -> None:
        self.identity, self.state, self.attempts = identity, PENDING, 0

    def _on_failed(self, data: dict) -> None:
        self.state, self.attempts = FAILING, data["attempt"]

    def _on_synced(self, data: dict) -> None:
        self.state, self.attempts = SYNCED, data["attempt"]
