"""HTTP client of HGRG's backup-number receipt (docs/protocols/hgrg.md §3).

HGRG is idempotent by backup number, so the caller may resend anything whose answer it did not
see: ``push_backup`` either returns how HGRG took the number or raises ``HgrgUnavailable``, and
the caller simply tries again later.
"""
import json
from urllib.parse import unquote, urlsplit

import requests
from hgrip_kernel.signing import signed_headers

RECEIPT_PATH = "/api/v1/backups"
EXPECTED = {201: "received", 200: "duplicate"}


class HgrgUnavailable(Exception):
    """No usable answer: connection refused, time-out, 5xx, or anything unexpected."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class HgrgRefused(HgrgUnavailable):
    """HGRG answered 4xx (bad signature, invalid body): it will go on refusing until someone fixes
    the secret, the clock or the payload. Still an ``HgrgUnavailable`` — the sync retries with
    backoff and never drops the number — but a distinct type, so that it is logged as an error."""


class HgrgClient:
    def __init__(self, base_url: str, secret: str, timeout: float = 5.0, session=None):
        self.url = base_url.rstrip("/") + RECEIPT_PATH
        # HGRG verifies the decoded request path (no host, no query), so that is what is signed.
        self.path = unquote(urlsplit(self.url).path)
        self.secret = secret
        self.timeout = timeout
        self.session = session or requests.Session()

    def push_backup(self, payload: dict, request_id: str | None = None) -> str:
        """POST the payload; ``"received"`` (first receipt) or ``"duplicate"`` (already there)."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # Signed per call: a retry hours later must not carry a stale timestamp (HGRG allows 300 s).
        headers = {"Content-Type": "application/json; charset=utf-8",
                   **signed_headers(self.secret, "POST", self.path, body)}
        if request_id:
            headers["X-Request-Id"] = request_id   # HGRG keeps it with the receipt: traceable
        try:
            response = self.session.post(self.url, data=body, headers=headers, timeout=self.timeout,
                                         allow_redirects=False)
        except requests.Timeout:
            raise HgrgUnavailable(f"no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise HgrgUnavailable(f"cannot reach HGRG: {type(exc).__name__}") from None
        return self._outcome(response, payload.get("backup_number"))

    @staticmethod
    def _outcome(response, backup_number) -> str:
        answer = _json(response)
        status = EXPECTED.get(response.status_code)
        # Only HGRG's own confirmation of this very number counts: a proxy's 200 page must never
        # mark a backup synced that HGRG has not got.
        if status and answer.get("status") == status and answer.get("backup_number") == backup_number:
            return status
        code = response.status_code
        detail = f"HTTP {code}" + (f" {answer['error']}" if answer.get("error") else "")
        if answer.get("message"):
            detail += f": {answer['message']}"
        if status:
            raise HgrgUnavailable(f"unexpected answer to {backup_number}: {detail}", code)
        if 400 <= code < 500:
            raise HgrgRefused(f"refused: {detail}", code)
        raise HgrgUnavailable(detail, code)

    def close(self) -> None:
        self.session.close()


def _json(response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
