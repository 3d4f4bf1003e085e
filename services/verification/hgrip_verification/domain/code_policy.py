"""The code rules. E-mail codes (manual "数据集授权流程", brief §3 step 3): 6 digits, valid 48 h, resend
every 5 min, locked after 5 wrong tries. SMS codes (manual "备份认领", 手机验证码): 6 digits, valid
10 min, resend every 60 s, locked after 5 wrong tries. Each new code replaces the previous one.

The module-level functions are the e-mail policy (``MAIL_CODES``); ``SMS_CODES`` has the same methods.
"""
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_LENGTH = 6


@dataclass(frozen=True)
class CodePolicy:
    validity: timedelta
    resend_interval: timedelta
    max_failures: int = 5

    def expires_at(self, issued_at: datetime) -> datetime:
        return issued_at + self.validity

    def resend_available_at(self, issued_at: datetime) -> datetime:
        return issued_at + self.resend_interval

    def retry_after_seconds(self, issued_at: datetime, now: datetime) -> int:
        """Whole seconds until a new code may be sent (rounded up, so waiting that long always works)."""
        return max(0, math.ceil((self.resend_available_at(issued_at) - now).total_seconds()))

    def attempts_left(self, failures: int) -> int:
        return max(0, self.max_failures - failures)

    def locks_after(self, failures: int) -> bool:
        return failures >= self.max_failures


MAIL_CODES = CodePolicy(validity=timedelta(hours=48), resend_interval=timedelta(minutes=5))
SMS_CODES = CodePolicy(validity=timedelta(minutes=10), resend_interval=timedelta(seconds=60))

VALIDITY = MAIL_CODES.validity
RESEND_INTERVAL = MAIL_CODES.resend_interval
MAX_FAILURES = MAIL_CODES.max_failures
expires_at = MAIL_CODES.expires_at
resend_available_at = MAIL_CODES.resend_available_at
retry_after_seconds = MAIL_CODES.retry_after_seconds
attempts_left = MAIL_CODES.attempts_left
locks_after = MAIL_CODES.locks_after


def new_code() -> str:
    # secrets, not random: the code is a credential. Leading zeros are kept (000123 is a code).
    return f"{secrets.randbelow(10 ** CODE_LENGTH):0{CODE_LENGTH}d}"


def is_well_formed(code: str) -> bool:
    return isinstance(code, str) and len(code) == CODE_LENGTH and code.isascii() and code.isdigit()


def is_expired(expiry: datetime, now: datetime) -> bool:
    # Valid for [issued, issued + validity): at exactly the end it is gone.
    return now >= expiry
