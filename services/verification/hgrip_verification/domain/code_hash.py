"""Codes are kept only as HMAC-SHA256 keyed by TOKEN_SECRET: a database dump alone cannot
reveal a code (10^6 candidates would be trivial to try against a plain hash)."""
import hashlib
import hmac


def hash_code(secret: str, scope: str, code: str) -> str:
    """``scope`` is what the code is for: a file id (e-mail codes) or ``sms_hash_scope(purpose, subject)``."""
    if not secret:
        raise ValueError("TOKEN_SECRET is required to hash verification codes")
    # The scope is part of the message: the same code for two files gives two unrelated hashes.
    message = f"verification-code:{scope}:{code}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def code_matches(secret: str, scope: str, code: str, stored_hash: str | None) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_code(secret, scope, code), stored_hash)
