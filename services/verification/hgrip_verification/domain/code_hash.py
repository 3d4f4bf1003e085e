"""Codes are kept only as HMAC-SHA256 keyed by TOKEN_SECRET: a database dump alone cannot
reveal a code (10^6 candidates would be trivial to try against a plain hash)."""
import hashlib
import hmac


def hash_code(secret: str, file_id: str, code: str) -> str:
    if not secret:
        raise ValueError("TOKEN_SECRET is required to hash verification codes")
    # The file id is part of the message: the same code for two files gives two unrelated hashes.
    message = f"verification-code:{file_id}:{code}".encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def code_matches(secret: str, file_id: str, code: str, stored_hash: str | None) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_code(secret, file_id, code), stored_hash)
