"""Mobile numbers are matched, never kept: stores hold an HMAC of the normalised number.

Legacy registrants and members are matched by mobile; a keyed hash lets equal numbers meet without
the store (or a copy of it) revealing any number. The key is the platform's MOBILE_HASH_SECRET.
"""
import hashlib
import hmac
import re
import unicodedata

MOBILE = re.compile(r"1[3-9]\d{9}")   # a mainland-China mobile number, no country code


def normalise_mobile(mobile: str | None) -> str | None:
    """11 digits, or None when it is no mainland mobile (full-width digits, spaces, dashes and a
    +86/86 prefix are forgiven)."""
    if not isinstance(mobile, str):
        return None
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", mobile) if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if MOBILE.fullmatch(digits) else None


def mobile_hash(secret: str, mobile: str | None) -> str | None:
    number = normalise_mobile(mobile)
    if number is None:
        return None
    return hmac.new(secret.encode(), f"mobile:{number}".encode(), hashlib.sha256).hexdigest()
