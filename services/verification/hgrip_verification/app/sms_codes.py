"""SMS codes (legacy-backup claims, manual "备份认领"): a natural person proves an old mobile number.
The clear mobile is kept nowhere: events and answers mask it."""
from datetime import datetime

from hgrip_kernel.masking import mask_mobile
from hgrip_kernel.ports import Request

from ..domain import SmsCodeRequest, compose_sms_text, refusals, sms_hash_scope, sms_stream_id
from .codes import check_code, send_new_code
from .ports import Ports, SmsNotSent


def send_sms_code(ports: Ports, request: Request, data: dict) -> dict:
    """Text a new code to ``data["mobile"]`` (``data``: the validated send_sms_code payload)."""
    purpose, subject, mobile = data["purpose"], data["subject"], data["mobile"]

    def deliver(code: str, now: datetime) -> None:
        text = compose_sms_text(purpose=purpose, code=code, requester_name=data["requester_name"])
        try:
            ports.sms.send(mobile, text, request_id=request.correlation_id)
        except SmsNotSent as exc:
            request.log.warning("sms_code_send_failed", purpose=purpose, subject=subject, sent_to=mask_mobile(mobile),
                                reason=str(exc))
            raise refusals.sms_unavailable() from None

    def issue(issued: SmsCodeRequest, now: datetime) -> None:
        issued.issue(purpose, subject, mobile, now)

    issued = send_new_code(ports, request, ports.sms_codes, SmsCodeRequest, sms_stream_id(purpose, subject),
                           sms_hash_scope(purpose, subject), deliver, issue)
    result = issued.sent_result()
    request.log.info("sms_code_sent", purpose=purpose, subject=subject, sent_to=issued.sent_to,
                     expires_at=result["expires_at"])
    return result


def verify_sms_code(ports: Ports, request: Request, purpose: str, subject: str, code: str) -> dict:
    """Check the code entered for (purpose, subject); consumed once it verifies."""
    issued, refusal = check_code(ports, request, ports.sms_codes, SmsCodeRequest,
                                 sms_stream_id(purpose, subject), sms_hash_scope(purpose, subject), code)
    if refusal is not None:
        request.log.info("sms_code_rejected", purpose=purpose, subject=subject, failures=issued.failures,
                         locked=issued.locked)
        raise refusal
    request.log.info("sms_code_verified", purpose=purpose, subject=subject, sent_to=issued.sent_to)
    return issued.verified_result()
