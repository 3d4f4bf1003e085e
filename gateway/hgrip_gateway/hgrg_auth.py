"""HGRG provisioning requests carry an HMAC of method, path, timestamp and body
(hgrip_kernel.signing); a missing, stale or wrong signature is refused before anything is parsed."""
import time

from werkzeug.wrappers import Request

from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

from .errors import GatewayError
from .responses import raw_body

CHALLENGE = 'HGRG-HMAC realm="hgrip"'
TOLERANCE = 300  # seconds, hgrip_kernel.signing.verify's default


def verify_hgrg_request(request: Request, secret: str | None, now: float | None = None) -> None:
    """Raise invalid_signature unless the request was signed with the shared secret.

    The path signed is the decoded request path without the query string, exactly as the
    gateway routes it; the body is the raw bytes, before any JSON parsing.
    """
    if not secret:  # never accept anything if the secret is not configured
        raise GatewayError("invalid_signature", {"reason": "signature checking is not configured"})
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    signature = request.headers.get(SIGNATURE_HEADER)
    body = raw_body(request)
    if verify(secret, request.method, request.path, timestamp, signature, body, now=now, tolerance=TOLERANCE):
        return
    raise GatewayError("invalid_signature", {"reason": _reason(timestamp, signature, now)})


def _reason(timestamp: str | None, signature: str | None, now: float | None) -> str:
    """Why verification failed, to help HGRG's integrators (clock skew is the usual one)."""
    if not timestamp or not signature:
        return f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header"
    if not timestamp.isdigit():
        return f"{TIMESTAMP_HEADER} must be unix seconds"
    if abs((now if now is not None else time.time()) - int(timestamp)) > TOLERANCE:
        return f"{TIMESTAMP_HEADER} is more than {TOLERANCE} s away from the server clock"
    return "the signature does not match"
