"""What every sent code goes through, e-mail or SMS: issued → (rejected …) → verified, or locked, or
expired; a new code starts afresh. Subclasses name their stream, events and refusals.

The code itself is never here: the aggregate only learns whether a presented code matched its HMAC.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from hgrip_kernel.aggregate import Aggregate
from hgrip_kernel.errors import DomainError

from .code_policy import CodePolicy, is_expired


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class CodeRefusals:
    """The refusals of one kind of code (each a factory of a DomainError)."""
    too_soon: Callable[[int, str], DomainError]   # (retry_after_seconds, resend_available_at)
    invalid: Callable[[int], DomainError]          # (attempts left)
    expired: Callable[[], DomainError]
    locked: Callable[[], DomainError]
    not_requested: Callable[[], DomainError]


class IssuedCode(Aggregate):
    policy: ClassVar[CodePolicy]
    refusals: ClassVar[CodeRefusals]
    rejected_event: ClassVar[str]
    locked_event: ClassVar[str]

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.issued_at: datetime | None = None
        self.expires_at: datetime | None = None
        self.failures = 0
        self.locked = False
        self.verified_at: datetime | None = None

    # --- what a subclass says -------------------------------------------------------------------
    def _identity(self) -> dict:
        """The fields that name the code's subject in every event."""
        raise NotImplementedError

    def _record_verified(self, now: datetime) -> None:
        raise NotImplementedError

    def _sent_to(self) -> str | None:
        """Where the current code went, masked."""
        raise NotImplementedError

    def _verified_again(self, code_matches: bool) -> DomainError | None:
        """The answer to a check after the code was accepted: None (the same answer) or raise."""
        raise NotImplementedError

    # --- commands -------------------------------------------------------------------------------
    def check_may_send(self, now: datetime) -> None:
        """Raise the too-soon refusal within the resend interval of the last code (checked before sending)."""
        if self.issued_at is None:
            return
        wait = self.policy.retry_after_seconds(self.issued_at, now)
        if wait > 0:
            raise self.refusals.too_soon(wait, iso(self.policy.resend_available_at(self.issued_at)))

    @classmethod
    def refuse_concurrent_send(cls, now: datetime) -> DomainError:
        """The answer when another instance is sending a code for the same subject right now."""
        interval = cls.policy.resend_interval
        return cls.refusals.too_soon(int(interval.total_seconds()), iso(now + interval))

    def verify(self, code_matches: bool, now: datetime) -> DomainError | None:
        """Check a presented code. Refusals that change nothing are raised; a wrong code is recorded
        (failures count, possibly the lock) and its refusal *returned*, to be raised once saved."""
        _, expires_at = self._issued()
        if self.verified_at is not None:
            return self._verified_again(code_matches)
        if self.locked:
            raise self.refusals.locked()
        if is_expired(expires_at, now):
            raise self.refusals.expired()
        if code_matches:
            self._record_verified(now)
            return None
        failures = self.failures + 1
        self.record(self.rejected_event, {**self._identity(), "failures": failures, "rejected_at": iso(now)})
        if self.policy.locks_after(failures):
            self.record(self.locked_event, {**self._identity(), "failures": failures, "locked_at": iso(now)})
        # The failure that locks answers like the others (0 left); the next try gets 423.
        return self.refusals.invalid(self.policy.attempts_left(failures))

    # --- views ----------------------------------------------------------------------------------
    def _issued(self) -> tuple[datetime, datetime]:
        """(issued_at, expires_at) of the current code; the not-requested refusal before the first."""
        if self.issued_at is None or self.expires_at is None:
            raise self.refusals.not_requested()
        return self.issued_at, self.expires_at

    def sent_result(self) -> dict:
        """The answer of a send: where the code went (masked), when it expires, when another may be sent."""
        issued_at, expires_at = self._issued()
        return {"sent_to": self._sent_to(), "expires_at": iso(expires_at),
                "resend_available_at": iso(self.policy.resend_available_at(issued_at))}

    def _verified_moment(self) -> str:
        """When the current code was accepted (ISO), for the answer of a verified check."""
        if self.verified_at is None:
            raise ValueError(f"{self.id}: the current code has not been verified")
        return iso(self.verified_at)

    def _issue_times(self, now: datetime) -> dict:
        return {"issued_at": iso(now), "expires_at": iso(self.policy.expires_at(now))}

    def resend_available_at(self) -> datetime | None:
        return self.policy.resend_available_at(self.issued_at) if self.issued_at else None

    # --- state (subclasses bind their event names to these) -------------------------------------
    def _apply_issued(self, data: dict) -> None:
        self.issued_at = datetime.fromisoformat(data["issued_at"])
        self.expires_at = datetime.fromisoformat(data["expires_at"])
        self.failures = 0
        self.locked = False
        self.verified_at = None

    def _apply_rejected(self, data: dict) -> None:
        self.failures = data["failures"]

    def _apply_locked(self, data: dict) -> None:
        self.locked = True

    def _apply_verified(self, data: dict) -> None:
        self.verified_at = datetime.fromisoformat(data["verified_at"])
