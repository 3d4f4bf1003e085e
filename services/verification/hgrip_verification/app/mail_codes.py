"""E-mail codes (dataset authorisation, docs/backup-lifecycle.md "Verification RPC"): the dataset's
owner receives a code and gives it to the requester, who enters it to show the owner agrees."""
from datetime import datetime

from ..domain import VerificationRequest, compose_code_mail, refusals, request_stream_id
from ..domain.request import DatasetRef
from .codes import check_code, send_new_code
from .ports import Call, MailNotSent, Ports


def send_code(ports: Ports, call: Call, data: dict) -> dict:
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
            call.log.warning("verification_mail_failed", file_id=dataset.file_id, reason=str(exc))
            raise refusals.mail_unavailable() from None

    def issue(request: VerificationRequest, now: datetime) -> None:
        request.issue(dataset, now)

    request = send_new_code(ports, call, ports.mail_codes, VerificationRequest, request_stream_id(dataset.file_id),
                            dataset.file_id, deliver, issue)
    result = request.sent_result()
    call.log.info("verification_code_sent", file_id=dataset.file_id, backup_id=dataset.backup_id,
                  submission_account=dataset.submission_account, expires_at=result["expires_at"])
    return result


def verify_code(ports: Ports, call: Call, file_id: str, code: str) -> dict:
    """Check the code entered for a file; the verified dataset, or the refusal."""
    request, refusal = check_code(ports, call, ports.mail_codes, VerificationRequest, request_stream_id(file_id),
                                  file_id, code)
    if refusal is not None:
        call.log.info("verification_code_rejected", file_id=file_id, failures=request.failures,
                      locked=request.locked)
        raise refusal
    dataset = request.issued_dataset()
    call.log.info("dataset_verified", file_id=file_id, repository=dataset.repository, accession=dataset.accession)
    return request.verified_result()
