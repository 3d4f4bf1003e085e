"""HMAC request signing between HGRIP and HGRG (both directions).

signature = hex(HMAC-SHA256(secret, METHOD + "\n" + PATH + "\n" + TIMESTAMP + "\n" + hex(SHA256(body))))
sent as headers ``X-HGRG-Timestamp`` (unix seconds) and ``X-HGRG-Signature``.
A request older or newer than ``tolerance`` seconds is refused, so a captured request cannot be replayed later.
"""
import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-HGRG-Timestamp"
SIGNATURE_HEADER = "X-HGRG-Signature"


def sign(secret: str, method: str, path: str, timestamp: str, body: bytes) -> str:
    digest = hashlib.sha256(body or b"").hexdigest()
    message = f"{method.upper()}\n{path}\n{timestamp}\n{digest}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, method: str, path: str, body: bytes, now: float | None = None) -> dict:
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, method, path, timestamp, body)}


def verify(secret: str, method: str, path: str, timestamp: str | None, signature: str | None,
           body: bytes, now: float | None = None, tolerance: int = 300) -> bool:
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    current = now if now is not None else time.time()
    if abs(current - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, method, path, timestamp, body)
    return hmac.compare_digest(expected, signature)
