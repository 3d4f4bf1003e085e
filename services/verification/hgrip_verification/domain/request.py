"""The VerificationRequest aggregate (stream ``verification-<file_id>``): the codes sent for one data file.

Events: ``CodeIssued`` (never the code, only when it expires), ``CodeRejected``,
``VerificationLocked``, ``DatasetVerified``. A new ``CodeIssued`` replaces the previous code with a
clean slate (no failures, not locked, not verified): that is also how a file whose account or
accession changed after verification gets verified again.
"""
from dataclasses import dataclass
from datetime import datetime, timezone

from hgrip_kernel.aggregate import Aggregate
from hgrip_kernel.errors import DomainError

from . import code_policy, refusals

STREAM_PREFIX = "verification-"


def request_stream_id(file_id: str) -> str:
    return f"{STREAM_PREFIX}{file_id}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


@dataclass(frozen=True)
class DatasetRef:
    """Which dataset a code is about, and who receives it; already validated by the RPC schema."""
    file_id: str
    backup_id: str
    repository: str
    accession: str
    submission_account: str


class VerificationRequest(Aggregate):
    stream_type = "verification"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.dataset: DatasetRef | None = None
        self.issued_at: datetime | None = None
        self.expires_at: datetime | None = None
        self.failures = 0
        self.locked = False
        self.verified_at: datetime | None = None

    # --- commands -------------------------------------------------------------------------------
    def check_may_send(self, now: datetime) -> None:
        """Raise code_resend_too_soon within 5 minutes of the last code (checked before any mail)."""
        if self.issued_at is None:
            return
        wait = code_policy.retry_after_seconds(self.issued_at, now)
        if wait > 0:
            raise refusals.code_resend_too_soon(
                wait, _iso(code_policy.resend_available_at(self.issued_at)))

    def issue(self, dataset: DatasetRef, now: datetime) -> None:
        """Record that a code was sent (call only once the mail is out)."""
        self.check_may_send(now)
        self.record("CodeIssued", {
            "file_id": dataset.file_id, "backup_id": dataset.backup_id,
            "repository": dataset.repository, "accession": dataset.accession,
            "submission_account": dataset.submission_account,
            "issued_at": _iso(now), "expires_at": _iso(code_policy.expires_at(now)),
        })

    def verify(self, code_matches: bool, now: datetime) -> DomainError | None:
        """Check a presented code. Refusals that change nothing are raised; a wrong code is recorded
        (failures count, possibly the lock) and its refusal *returned*, to be raised once saved."""
        if self.issued_at is None:
            raise refusals.verification_code_not_requested()
        if self.verified_at is not None:
            if code_matches:
                return None  # the accepted code again (a retried call): same answer, nothing recorded
            raise refusals.verification_code_invalid(code_policy.attempts_left(self.failures))
        if self.locked:
            raise refusals.verification_locked()
        if code_policy.is_expired(self.expires_at, now):
            raise refusals.verification_code_expired()
        if code_matches:
            self.record("DatasetVerified", {
                "file_id": self.dataset.file_id, "backup_id": self.dataset.backup_id,
                "repository": self.dataset.repository, "accession": self.dataset.accession,
                "verified_at": _iso(now)})
            return None
        failures = self.failures + 1
        self.record("CodeRejected", {"file_id": self.dataset.file_id, "failures": failures,
                                     "rejected_at": _iso(now)})
        if code_policy.locks_after(failures):
            self.record("VerificationLocked", {"file_id": self.dataset.file_id, "failures": failures,
                                               "locked_at": _iso(now)})
        # The failure that locks answers like the others (attempts_left 0); the next try gets 423.
        return refusals.verification_code_invalid(code_policy.attempts_left(failures))

    # --- views ----------------------------------------------------------------------------------
    def resend_available_at(self) -> datetime | None:
        return code_policy.resend_available_at(self.issued_at) if self.issued_at else None

    def verified_result(self) -> dict:
        return {"verified": True, "file_id": self.dataset.file_id,
                "accession": self.dataset.accession, "repository": self.dataset.repository,
                "verified_at": _iso(self.verified_at)}

    # --- state ----------------------------------------------------------------------------------
    def apply_CodeIssued(self, data: dict) -> None:
        self.dataset = DatasetRef(data["file_id"], data["backup_id"], data["repository"],
                                  data["accession"], data["submission_account"])
        self.issued_at = datetime.fromisoformat(data["issued_at"])
        self.expires_at = datetime.fromisoformat(data["expires_at"])
        self.failures = 0
        self.locked = False
        self.verified_at = None

    def apply_CodeRejected(self, data: dict) -> None:
        self.failures = data["failures"]

    def apply_VerificationLocked(self, data: dict) -> None:
        self.locked = True

    def apply_DatasetVerified(self, data: dict) -> None:
        self.verified_at = datetime.fromisoformat(data["verified_at"])
