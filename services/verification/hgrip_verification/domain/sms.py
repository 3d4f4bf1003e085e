"""SMS codes (manual "备份认领": 原系统注册手机号 + 手机验证码 + 获取验证码): who asks for what, the text
sent, and the ``SmsCodeRequest`` aggregate, one stream per (purpose, subject).

The caller chooses the subject: an opaque string naming what is claimed and by whom. A code verifies
only for the subject it was sent for, so a caller binds the mobile into its subject (e.g. a digest of
claimant, registrant name and mobile). Events keep the masked mobile, never the clear one nor the code.

Events: ``SmsCodeSent`` (a new code replaces the previous one with a clean slate), ``SmsCodeFailed``,
``SmsCodeLocked``, ``SmsCodeVerified`` (the code is consumed: it never verifies again).
"""
from dataclasses import dataclass
from datetime import datetime

from hgrip_kernel.errors import DomainError
from hgrip_kernel.masking import mask_mobile

from .code_policy import SMS_CODES
from .issued_code import IssuedCode, iso
from .refusals import SMS_CODE_REFUSALS, sms_code_used

STREAM_PREFIX = "sms-code-"
SENDER = "HGRIP"
SIGNATURE = "【人类遗传资源信息管理备份平台】"
SUBJECT_MAX = 128


@dataclass(frozen=True)
class SmsPurpose:
    code: str
    doing_zh: str   # what the requester is doing, as the recipient reads it


PURPOSES: dict[str, SmsPurpose] = {p.code: p for p in (
    SmsPurpose("legacy_claim", "认领原备份平台中以本手机号登记的备份信息"),
)}


def sms_stream_id(purpose: str, subject: str) -> str:
    # Purposes have no ":", so the first one separates the two (subjects may hold anything).
    return f"{STREAM_PREFIX}{purpose}:{subject}"


def sms_hash_scope(purpose: str, subject: str) -> str:
    """What a code's HMAC is tied to (file ids, the e-mail codes' scope, are UUIDs: no overlap)."""
    return f"sms:{purpose}:{subject}"


def compose_sms_text(*, purpose: str, code: str, requester_name: str) -> str:
    minutes = int(SMS_CODES.validity.total_seconds() // 60)
    return (f"{SIGNATURE}{requester_name}正在{PURPOSES[purpose].doing_zh}，验证码为 {code}，"
            f"{minutes} 分钟内有效，请勿告知他人。如非本人操作，请忽略本短信。")


class SmsCodeRequest(IssuedCode):
    stream_type = "sms-code"
    policy = SMS_CODES
    refusals = SMS_CODE_REFUSALS
    rejected_event = "SmsCodeFailed"
    locked_event = "SmsCodeLocked"

    def __init__(self, stream_id: str):
        super().__init__(stream_id)
        self.purpose: str | None = None
        self.subject: str | None = None
        self.sent_to: str | None = None   # masked

    # --- commands -------------------------------------------------------------------------------
    def issue(self, purpose: str, subject: str, mobile: str, now: datetime) -> None:
        """Record that a code was sent to ``mobile`` (call only once the gateway accepted it)."""
        self.check_may_send(now)
        self.record("SmsCodeSent", {"purpose": purpose, "subject": subject, "sent_to": mask_mobile(mobile),
                                    **self._issue_times(now)})

    def _identity(self) -> dict:
        return {"purpose": self.purpose, "subject": self.subject}

    def _sent_to(self) -> str | None:
        return self.sent_to

    def _verified_again(self, code_matches: bool) -> DomainError | None:
        raise sms_code_used()   # consumed: not even the right code works twice

    def _record_verified(self, now: datetime) -> None:
        self.record("SmsCodeVerified", {**self._identity(), "verified_at": iso(now)})

    # --- views ----------------------------------------------------------------------------------

    def verified_result(self) -> dict:
        return {"verified": True, **self._identity(), "verified_at": self._verified_moment()}

    # --- state ----------------------------------------------------------------------------------
    def apply_SmsCodeSent(self, data: dict) -> None:
        self.purpose, self.subject, self.sent_to = data["purpose"], data["subject"], data["sent_to"]
        self._apply_issued(data)

    apply_SmsCodeFailed = IssuedCode._apply_rejected
    apply_SmsCodeLocked = IssuedCode._apply_locked
    apply_SmsCodeVerified = IssuedCode._apply_verified
