"""Mobile numbers are matched, never kept: stores hold an HMAC of the normalised number.

Legacy registrants and members are matched by mobile; a keyed hash lets equal numbers meet without
the store (or a copy of it) revealing any number. The key is the platform's MOBILE_HASH_SECRET.
Numbers are normalised by the platform's one rule (``hgrip_kernel.field_rules.normalise_mobile``).
"""
import hashlib
import hmac

from hgrip_kernel.field_rules import normalise_mobile


def mobile_hash(secret: str, mobile: str | None) -> str | None:
    number = normalise_mobile(mobile)
    if number is None:
        return None
    return hmac.new(secret.encode(), f"mobile:{number}".encode(), hashlib.sha256).hexdigest()
