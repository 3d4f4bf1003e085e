"""The code rules (manual "数据集授权流程", brief §3 step 3): 6 digits, valid 48 h, resend every 5 min,
locked after 5 wrong tries, and each new code replaces the previous one."""
import math
import secrets
from datetime import datetime, timedelta

CODE_LENGTH = 6
VALIDITY = timedelta(hours=48)
RESEND_INTERVAL = timedelta(minutes=5)
MAX_FAILURES = 5


def new_code() -> str:
    # secrets, not random: the code is a credential. Leading zeros are kept (000123 is a code).
    return f"{secrets.randbelow(10 ** CODE_LENGTH):0{CODE_LENGTH}d}"


def is_well_formed(code: str) -> bool:
    return isinstance(code, str) and len(code) == CODE_LENGTH and code.isascii() and code.isdigit()


def expires_at(issued_at: datetime) -> datetime:
    return issued_at + VALIDITY


def is_expired(expiry: datetime, now: datetime) -> bool:
    # Valid for [issued, issued + 48 h): at exactly 48 h it is gone.
    return now >= expiry


def resend_available_at(issued_at: datetime) -> datetime:
    return issued_at + RESEND_INTERVAL


def retry_after_seconds(issued_at: datetime, now: datetime) -> int:
    """Whole seconds until a new code may be sent (rounded up, so waiting that long always works)."""
    return max(0, math.ceil((resend_available_at(issued_at) - now).total_seconds()))


def attempts_left(failures: int) -> int:
    return max(0, MAX_FAILURES - failures)


def locks_after(failures: int) -> bool:
    return failures >= MAX_FAILURES
