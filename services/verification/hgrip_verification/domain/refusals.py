"""Every refusal of the verification service: a stable code, an English and a Chinese message."""
from hgrip_kernel.errors import InvalidInput, Locked, NotFound, ServiceUnavailable, TooManyRequests


def dataset_account_mismatch() -> InvalidInput:
    # The exact words of the manual ("数据文件信息校验"); an unknown accession gets them too.
    return InvalidInput("dataset_account_mismatch",
                        "The submission account and the dataset accession do not match.",
                        "提交账号与数据集序列号不匹配")


def repository_unavailable(repository: str) -> ServiceUnavailable:
    return ServiceUnavailable("repository_unavailable",
                              f"The {repository} repository cannot be reached now; please try again later.",
                              f"暂时无法连接{repository}数据库，请稍后重试。",
                              {"repository": repository})


def mail_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("mail_unavailable",
                              "The verification e-mail could not be sent now; please try again later.",
                              "验证码邮件发送失败，请稍后重试。")


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
