"""The VerificationRequest aggregate (stream ``verification-<file_id>``): the codes sent for one data file.

Events: ``CodeIssued`` (never the code, only when it expires), ``CodeRejected``,
``VerificationLocked``, ``DatasetVerified``. A new ``CodeIssued`` replaces the previous code with a
clean slate (no failures, not locked, not verified): that is also how a file whose account or
accession changed after verification gets verified again.
"""
from dataclasses import dataclass
from datetime import datetime

from hgrip_kernel.errors import DomainError
from hgrip_kernel.masking import mask_email

from .code_policy import MAIL_CODES
from .issued_code import IssuedCode, iso
from .refusals import MAIL_CODE_REFUSALS

STREAM_PREFIX = "verification-"


def request_stream_id(file_id: str) -> str:
    return f"{STREAM_PREFIX}{file_id}"


@dataclass(frozen=True)
class DatasetRef:
    """Which dataset a code is about, and who receives it; already validated by the RPC schema."""
    file_id: str
    backup_id: str
    repository: str
    accession: str
    submission_account: str


class VerificationRequest(IssuedCode):
    stream_type = "verification"
    policy = MAIL_CODES
    refusals = MAIL_CODE_REFUSALS
    rejected_event = "CodeRejected"
    locked_event = "VerificationLocked"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.dataset: DatasetRef | None = None

    # --- commands -------------------------------------------------------------------------------
    def issue(self, dataset: DatasetRef, now: datetime) -> None:
        """Record that a code was sent (call only once the mail is out)."""
        self.check_may_send(now)
        self.record("CodeIssued", {
            "file_id": dataset.file_id, "backup_id": dataset.backup_id,
            "repository": dataset.repository, "accession": dataset.accession,
            "submission_account": dataset.submission_account, **self._issue_times(now),
        })

    def issued_dataset(self) -> DatasetRef:
        """The dataset of the current code; the not-requested refusal before the first."""
        if self.dataset is None:
            raise self.refusals.not_requested()
        return self.dataset

    def _identity(self) -> dict:
        return {"file_id": self.issued_dataset().file_id}

    def _sent_to(self) -> str | None:
        return mask_email(self.issued_dataset().submission_account)

    def _verified_again(self, code_matches: bool) -> DomainError | None:
        if code_matches:
            return None  # the accepted code again (a retried call): same answer, nothing recorded
        raise self.refusals.invalid(self.policy.attempts_left(self.failures))

    def _record_verified(self, now: datetime) -> None:
        dataset = self.issued_dataset()
        self.record("DatasetVerified", {
            "file_id": dataset.file_id, "backup_id": dataset.backup_id,
            "repository": dataset.repository, "accession": dataset.accession,
            "verified_at": iso(now)})

    # --- views ----------------------------------------------------------------------------------
    def verified_result(self) -> dict:
        dataset = self.issued_dataset()
        return {"verified": True, "file_id": dataset.file_id, "accession": dataset.accession,
                "repository": dataset.repository, "verified_at": self._verified_moment()}

    # --- state ----------------------------------------------------------------------------------
    def apply_CodeIssued(self, data: dict) -> None:
        self.dataset = DatasetRef(data["file_id"], data["backup_id"], data["repository"],
                                  data["accession"], data["submission_account"])
        self._apply_issued(data)

    apply_CodeRejected = IssuedCode._apply_rejected
    apply_VerificationLocked = IssuedCode._apply_locked
    apply_DatasetVerified = IssuedCode._apply_verified
