"""E-mail codes (dataset authorisation, docs/backup-lifecycle.md "Verification RPC"): the dataset's
owner receives a code and gives it to the requester, who enters it to show the owner agrees."""
from datetime import datetime

from hgrip_kernel.ports import Request

from ..domain import VerificationRequest, compose_code_mail, refusals, request_stream_id
from ..domain.request import DatasetRef
from .codes import check_code, send_new_code
from .ports import MailNotSent, Ports


def send_code(ports: Ports, request: Request, data: dict) -> dict:
    """Mail a new code to the dataset's submission account (``data``: the validated send_code payload)."""
    dataset = DatasetRef(data["file_id"], data["backup_id"], data["repository"], data["accession"],
                         data["submission_account"])

    def deliver(code: str, now: datetime) -> None:
        mail = compose_code_mail(to=dataset.submission_account, code=code, requester_name=data["requester_name"],
                                 project_name=data["project_name"], repository=dataset.repository,
                                 accession=dataset.accession, issued_at=now)
        try:
            ports.mailer.send(mail.to, mail.subject, mail.text)
        except MailNotSent as exc:
            request.log.warning("verification_mail_failed", file_id=dataset.file_id, reason=str(exc))
            raise refusals.mail_unavailable() from None

    def issue(issued: VerificationRequest, now: datetime) -> None:
        issued.issue(dataset, now)

    issued = send_new_code(ports, request, ports.mail_codes, VerificationRequest,
                           request_stream_id(dataset.file_id), dataset.file_id, deliver, issue)
    result = issued.sent_result()
    request.log.info("verification_code_sent", file_id=dataset.file_id, backup_id=dataset.backup_id,
                     submission_account=dataset.submission_account, expires_at=result["expires_at"])
    return result


def verify_code(ports: Ports, request: Request, file_id: str, code: str) -> dict:
    """Check the code entered for a file; the verified dataset, or the refusal."""
    issued, refusal = check_code(ports, request, ports.mail_codes, VerificationRequest,
                                 request_stream_id(file_id), file_id, code)
    if refusal is not None:
        request.log.info("verification_code_rejected", file_id=file_id, failures=issued.failures,
                         locked=issued.locked)
        raise refusal
    dataset = issued.issued_dataset()
    request.log.info("dataset_verified", file_id=file_id, repository=dataset.repository, accession=dataset.accession)
    return issued.verified_result()
