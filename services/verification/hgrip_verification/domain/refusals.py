"""Every refusal of the verification service: a stable code, an English and a Chinese message."""
from hgrip_kernel.errors import Conflict, InvalidInput, Locked, NotFound, ServiceUnavailable, TooManyRequests

from .issued_code import CodeRefusals

# A peer that cannot be reached (a repository, the mail relay, the SMS gateway) is usually back within
# moments: the gateway turns this into Retry-After, so a client waits a little instead of hammering.
PEER_RETRY_AFTER_SECONDS = 10


def dataset_account_mismatch() -> InvalidInput:
    # The exact words of the manual ("数据文件信息校验"); an unknown accession gets them too.
    return InvalidInput("dataset_account_mismatch",
                        "The submission account and the dataset accession do not match.",
                        "提交账号与数据集序列号不匹配")


def repository_unavailable(repository: str) -> ServiceUnavailable:
    return ServiceUnavailable("repository_unavailable",
                              f"The {repository} repository cannot be reached now; please try again later.",
                              f"暂时无法连接{repository}数据库，请稍后重试。",
                              {"repository": repository, "retry_after_seconds": PEER_RETRY_AFTER_SECONDS})


def mail_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("mail_unavailable",
                              "The verification e-mail could not be sent now; please try again later.",
                              "验证码邮件发送失败，请稍后重试。",
                              {"retry_after_seconds": PEER_RETRY_AFTER_SECONDS})


def code_resend_too_soon(retry_after_seconds: int, resend_available_at: str) -> TooManyRequests:
    return TooManyRequests("code_resend_too_soon",
                           "A verification code can be sent once every 5 minutes; please wait "
                           "before requesting another.",
                           "验证码每5分钟可重发一次，请稍后再试。",
                           {"retry_after_seconds": retry_after_seconds,
                            "resend_available_at": resend_available_at})


def verification_code_invalid(attempts_left: int) -> InvalidInput:
    return InvalidInput("verification_code_invalid",
                        "The verification code is incorrect.",
                        "验证码错误。",
                        {"attempts_left": attempts_left})


def verification_code_expired() -> InvalidInput:
    return InvalidInput("verification_code_expired",
                        "The verification code has expired; please request a new one.",
                        "验证码已过期，请重新发送验证码。")


def verification_locked() -> Locked:
    return Locked("verification_locked",
                  "Too many wrong codes: this code no longer works; please request a new one.",
                  "验证码错误次数过多，已失效，请重新发送验证码。")


def verification_code_not_requested() -> NotFound:
    return NotFound("verification_code_not_requested",
                    "No verification code has been sent for this file.",
                    "尚未为该文件发送验证码，请先发送验证码。")


MAIL_CODE_REFUSALS = CodeRefusals(too_soon=code_resend_too_soon, invalid=verification_code_invalid,
                                  expired=verification_code_expired, locked=verification_locked,
                                  not_requested=verification_code_not_requested)


# --- SMS codes (legacy-backup claims: 原系统注册手机号 + 手机验证码) ----------------------------------------
def sms_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("sms_unavailable",
                              "The SMS verification code could not be sent now; please try again later.",
                              "短信验证码发送失败，请稍后重试。",
                              {"retry_after_seconds": PEER_RETRY_AFTER_SECONDS})


def sms_code_too_soon(retry_after_seconds: int, resend_available_at: str) -> TooManyRequests:
    return TooManyRequests("sms_code_too_soon",
                           "An SMS verification code can be requested once every 60 seconds; please wait "
                           "before requesting another.",
                           "手机验证码每60秒可获取一次，请稍后再试。",
                           {"retry_after_seconds": retry_after_seconds,
                            "resend_available_at": resend_available_at})


def sms_code_invalid(remaining_attempts: int) -> InvalidInput:
    return InvalidInput("sms_code_invalid",
                        "The SMS verification code is incorrect.",
                        "手机验证码错误。",
                        {"remaining_attempts": remaining_attempts})


def sms_code_expired() -> InvalidInput:
    return InvalidInput("sms_code_expired",
                        "The SMS verification code has expired; please request a new one.",
                        "手机验证码已过期，请重新获取验证码。")


def sms_code_locked() -> Locked:
    return Locked("sms_code_locked",
                  "Too many wrong codes: this SMS verification code no longer works; please request a new one.",
                  "手机验证码错误次数过多，已失效，请重新获取验证码。")


def sms_code_not_requested() -> NotFound:
    return NotFound("sms_code_not_requested",
                    "No SMS verification code has been requested for this; please request one first.",
                    "尚未获取手机验证码，请先获取验证码。")


def sms_code_used() -> Conflict:
    return Conflict("sms_code_used",
                    "This SMS verification code has already been used; please request a new one.",
                    "该手机验证码已使用，请重新获取验证码。")


SMS_CODE_REFUSALS = CodeRefusals(too_soon=sms_code_too_soon, invalid=sms_code_invalid,
                                 expired=sms_code_expired, locked=sms_code_locked,
                                 not_requested=sms_code_not_requested)
