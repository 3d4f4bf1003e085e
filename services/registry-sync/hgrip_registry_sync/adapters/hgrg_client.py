"""HTTP client of HGRG's receipts (docs/protocols/hgrg.md §3, §5), the ``HgrgReceipts`` port: backup
numbers and owner changes.

HGRG is idempotent by backup number (and by change id for owner changes), so the caller may resend
anything whose answer it did not see: each push either returns how HGRG took it or raises
``HgrgUnavailable``, and the caller simply tries again later.
"""
import json
from urllib.parse import quote, unquote, urlsplit

import requests

from hgrip_kernel.signing import signed_headers

from ..app.ports import HgrgRefused, HgrgUnavailable

RECEIPT_PATH = "/api/v1/backups"
OWNER_PATH = "/api/v1/backups/{backup_number}/owner"
EXPECTED = {201: "received", 200: "duplicate"}

__all__ = ["HgrgClient", "HgrgRefused", "HgrgUnavailable"]


class HgrgClient:
    def __init__(self, base_url: str, secret: str, timeout: float = 5.0, session=None):
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + RECEIPT_PATH
        self.path = _signed_path(self.url)
        self.secret = secret
        self.timeout = timeout
        self.session = session or requests.Session()

    def push_backup(self, payload: dict, request_id: str | None = None) -> str:
        """POST the payload; ``"received"`` (first receipt) or ``"duplicate"`` (already there)."""
        return self._post(self.url, payload, request_id, payload.get("backup_number"))

    def push_owner_change(self, body: dict, request_id: str | None = None) -> str:
        """POST one owner change to ``…/backups/{number}/owner``; ``"received"`` or ``"duplicate"``
        (that change id is already there), whether or not HGRG made it the current owner."""
        number = str(body.get("backup_number"))
        url = self.base_url + OWNER_PATH.format(backup_number=quote(number, safe=""))
        return self._post(url, body, request_id, number, change_id=body.get("change_id"))

    def _post(self, url: str, payload: dict, request_id: str | None, backup_number,
              change_id: str | None = None) -> str:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # Signed per call: a retry hours later must not carry a stale timestamp (HGRG allows 300 s).
        headers = {"Content-Type": "application/json; charset=utf-8",
                   **signed_headers(self.secret, "POST", _signed_path(url), body)}
        if request_id:
            headers["X-Request-Id"] = request_id   # HGRG keeps it with the receipt: traceable
        try:
            response = self.session.post(url, data=body, headers=headers, timeout=self.timeout,
                                         allow_redirects=False)
        except requests.Timeout:
            raise HgrgUnavailable(f"no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise HgrgUnavailable(f"cannot reach HGRG: {type(exc).__name__}") from None
        return self._outcome(response, backup_number, change_id)

    @staticmethod
    def _outcome(response, backup_number, change_id: str | None = None) -> str:
        answer, unreadable = _json(response)
        status = EXPECTED.get(response.status_code)
        # Only HGRG's own confirmation of this very number (and change) counts: a proxy's 200 page
        # must never mark something synced that HGRG has not got.
        if (status and answer.get("status") == status and answer.get("backup_number") == backup_number
                and (change_id is None or answer.get("change_id") == change_id)):
            return status
        code = response.status_code
        detail = f"HTTP {code}" + (f" {answer['error']}" if answer.get("error") else "")
        if answer.get("message"):
            detail += f": {answer['message']}"
        if status:
            what = backup_number if change_id is None else f"owner change {change_id} of {backup_number}"
            # Say what was wrong with it, so the operator can tell a mangling proxy from a confused HGRG.
            said = unreadable or "it confirms " + ", ".join(
                f"{key} {answer.get(key)!r}" for key in ("status", "backup_number", "change_id") if key in answer)
            raise HgrgUnavailable(f"unexpected answer to {what}: {detail} ({said})", code)
        if 400 <= code < 500:
            raise HgrgRefused(f"refused: {detail}", code)
        raise HgrgUnavailable(detail, code)

    def close(self) -> None:
        self.session.close()


def _signed_path(url: str) -> str:
    """HGRG verifies the decoded request path (no host, no query), so that is what is signed."""
    return unquote(urlsplit(url).path)


def _json(response) -> tuple[dict, str | None]:
    """(the answer's JSON object, None), or ({}, what made it unreadable)."""
    try:
        answer = response.json()
    except ValueError:
        return {}, "body is not JSON"
    return (answer, None) if isinstance(answer, dict) else ({}, "body is not a JSON object")
