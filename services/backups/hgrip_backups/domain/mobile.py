"""Mobile numbers are matched, never kept: stores hold an HMAC of the normalised number.

Legacy registrants and members are matched by mobile; a keyed hash lets equal numbers meet without
the store (or a copy of it) revealing any number. The rule is the platform's, written once in
``hgrip_kernel.personal_data`` (identity's events carry the same hash, keyed by MOBILE_HASH_SECRET,
i.e. HGRIP_PERSONAL_DATA_HMAC_KEY).
"""
from hgrip_kernel.personal_data import mobile_hash

__all__ = ["mobile_hash"]
