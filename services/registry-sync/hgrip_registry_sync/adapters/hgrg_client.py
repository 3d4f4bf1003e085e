"""HTTP client of HGRG's receipts (docs/protocols/hgrg.md §3, §5, §6), the ``HgrgReceipts`` port:
backup numbers and owner changes, in batches (the pusher's way) or one by one.

HGRG is idempotent by backup number (and by change id for owner changes), so the caller may resend
anything whose answer it did not see: each push either returns how HGRG took it or raises
``HgrgUnavailable``, and the caller simply tries again later.

One urllib3 pool, kept alive across pushes: a push costs one request on an open connection, not a
TCP handshake, and none of requests' per-call machinery (this is the pusher's hot path).
"""
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError

from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers, verify

from ..app.ports import BatchItem, HgrgRefused, HgrgUnavailable, ItemReceipt

RECEIPT_PATH = "/api/v1/backups"
OWNER_PATH = "/api/v1/backups/{backup_number}/owner"
BATCH_PATH = "/api/v1/batches"
RECEIPT_METHOD = "RECEIPT"   # what HGRG signs its batch receipts as (§6)
EXPECTED = {201: "received", 200: "duplicate"}
ITEM_STATUSES = ("received", "duplicate", "refused")

__all__ = ["Answer", "HgrgClient", "HgrgRefused", "HgrgUnavailable"]


@dataclass(frozen=True)
class Answer:
    """What HGRG answered: status, raw body, the headers the client reads."""
    status: int
    body: bytes
    headers: dict

    def json(self) -> tuple[object, str | None]:
        """(the parsed body, None), or (None, what made it unreadable)."""
        try:
            return json.loads(self.body.decode("utf-8")), None
        except (UnicodeDecodeError, ValueError):
            return None, "body is not JSON"


class HgrgClient:
    def __init__(self, base_url: str, secret: str, timeout: float = 5.0, connections: int = 4):
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + RECEIPT_PATH
        self.path = _signed_path(self.url)
        self.batch_url = self.base_url + BATCH_PATH
        self.secret = secret
        self.timeout = timeout
        self.pool = urllib3.PoolManager(num_pools=2, maxsize=connections, retries=False,
                                        timeout=urllib3.Timeout(connect=timeout, read=timeout))

    # --- a batch (§6) ------------------------------------------------------------------------------
    def push_batch(self, items: Sequence[BatchItem]) -> list[ItemReceipt]:
        """POST the items as one batch; one ``ItemReceipt`` per item, in order, from HGRG's verified
        receipt. No verified receipt (unsigned, tampered, not this batch's): HgrgUnavailable, and
        nothing is taken as accepted."""
        batch_id = str(uuid.uuid4())   # per attempt: a receipt of an earlier attempt cannot pass for this one
        body = _dumps({"batch_id": batch_id, "items": [
            {"kind": item.kind, "request_id": item.request_id, "body": item.body} for item in items]})
        answer = self._post(self.batch_url, body, None)
        return self._batch_outcome(answer, batch_id, body, items)

    def _batch_outcome(self, answer: Answer, batch_id: str, body: bytes,
                       items: Sequence[BatchItem]) -> list[ItemReceipt]:
        if answer.status != 200:
            raise _failure(answer, {}, f"batch of {len(items)}")
        receipt, unreadable = answer.json()
        what = f"unexpected answer to batch of {len(items)}: HTTP 200"
        if unreadable or not isinstance(receipt, dict):
            raise HgrgUnavailable(f"{what} ({unreadable or 'body is not a JSON object'})", 200)
        if not verify(self.secret, RECEIPT_METHOD, _signed_path(self.batch_url), answer.headers.get(TIMESTAMP_HEADER),
                      answer.headers.get(SIGNATURE_HEADER), answer.body):
            raise HgrgUnavailable(f"{what} (receipt not signed by HGRG)", 200)
        if receipt.get("batch_id") != batch_id or receipt.get("request_sha256") != hashlib.sha256(body).hexdigest():
            raise HgrgUnavailable(f"{what} (a receipt of another batch)", 200)
        answers = receipt.get("items")
        if not isinstance(answers, list) or len(answers) != len(items):
            raise HgrgUnavailable(f"{what} (the receipt does not name every item)", 200)
        for position, (item, said) in enumerate(zip(items, answers, strict=True), start=1):
            if not _names(said, item):
                shown = said if isinstance(said, dict) else {}
                raise HgrgUnavailable(f"{what} (item {position} confirms " + ", ".join(
                    f"{key} {shown.get(key)!r}" for key in ("status", "backup_number", "change_id")
                    if key in shown) + ")", 200)
        return [ItemReceipt(status=said["status"]) if said["status"] != "refused"
                else ItemReceipt(refusal=f"refused: {said.get('error')}: {said.get('message')}") for said in answers]

    # --- one by one (§3, §5): older clients' way, kept working -------------------------------------
    def push_backup(self, payload: dict, request_id: str | None = None) -> str:
        """POST the payload; ``"received"`` (first receipt) or ``"duplicate"`` (already there)."""
        return self._outcome(self._post(self.url, _dumps(payload), request_id), payload.get("backup_number"))

    def push_owner_change(self, body: dict, request_id: str | None = None) -> str:
        """POST one owner change to ``…/backups/{number}/owner``; ``"received"`` or ``"duplicate"``
        (that change id is already there), whether or not HGRG made it the current owner."""
        number = str(body.get("backup_number"))
        url = self.base_url + OWNER_PATH.format(backup_number=quote(number, safe=""))
        return self._outcome(self._post(url, _dumps(body), request_id), number, change_id=body.get("change_id"))

    @staticmethod
    def _outcome(answer: Answer, backup_number, change_id: str | None = None) -> str:
        said, unreadable = answer.json()
        said, unreadable = (said, None) if isinstance(said, dict) else ({}, unreadable or "body is not a JSON object")
        status = EXPECTED.get(answer.status)
        # Only HGRG's own confirmation of this very number (and change) counts: a proxy's 200 page
        # must never mark something synced that HGRG has not got.
        if (status and said.get("status") == status and said.get("backup_number") == backup_number
                and (change_id is None or said.get("change_id") == change_id)):
            return status
        what = backup_number if change_id is None else f"owner change {change_id} of {backup_number}"
        raise _failure(answer, said, what, unreadable)

    # --- the wire ------------------------------------------------------------------------------------
    def _post(self, url: str, body: bytes, request_id: str | None) -> Answer:
        # Signed per call: a retry hours later must not carry a stale timestamp (HGRG allows 300 s).
        headers = {"Content-Type": "application/json; charset=utf-8",
                   **signed_headers(self.secret, "POST", _signed_path(url), body)}
        if request_id:
            headers["X-Request-Id"] = request_id   # HGRG keeps it with the receipt: traceable
        try:
            response = self.pool.urlopen("POST", url, body=body, headers=headers, redirect=False)
        except NewConnectionError:   # (a TimeoutError to urllib3, but nothing is listening)
            raise HgrgUnavailable("cannot reach HGRG: ConnectionError") from None
        except TimeoutError:
            raise HgrgUnavailable(f"no answer within {self.timeout:g} s") from None
        except (HTTPError, OSError):
            raise HgrgUnavailable("cannot reach HGRG: ConnectionError") from None
        return Answer(response.status, response.data, {name: response.headers.get(name)
                                                        for name in (TIMESTAMP_HEADER, SIGNATURE_HEADER)})

    def close(self) -> None:
        self.pool.clear()


def _failure(answer: Answer, said: dict, what: str, unreadable: str | None = None) -> HgrgUnavailable:
    """Why an answer is not HGRG's confirmation: refused (4xx), unexpected (2xx) or unavailable."""
    if not said and unreadable is None:
        parsed, unreadable = answer.json()
        said = parsed if isinstance(parsed, dict) else {}
    code = answer.status
    detail = f"HTTP {code}" + (f" {said['error']}" if said.get("error") else "")
    if said.get("message"):
        detail += f": {said['message']}"
    if code in EXPECTED:
        # Say what was wrong with it, so the operator can tell a mangling proxy from a confused HGRG.
        shown = unreadable or "it confirms " + ", ".join(
            f"{key} {said.get(key)!r}" for key in ("status", "backup_number", "change_id") if key in said)
        return HgrgUnavailable(f"unexpected answer to {what}: {detail} ({shown})", code)
    if 400 <= code < 500:
        return HgrgRefused(f"refused: {detail}", code)
    return HgrgUnavailable(detail, code)


def _names(said, item: BatchItem) -> bool:
    """Whether a receipt's item is HGRG's word on this very item (kind, number, change id)."""
    if not isinstance(said, dict) or said.get("status") not in ITEM_STATUSES or said.get("kind") != item.kind:
        return False
    if said["status"] == "refused":   # a refusal names what it could read of the item
        return all(said.get(key) in (None, item.body.get(key)) for key in ("backup_number", "change_id"))
    return said.get("backup_number") == item.body.get("backup_number") and (
        item.kind != "owner_change" or said.get("change_id") == item.body.get("change_id"))


def _dumps(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _signed_path(url: str) -> str:
    """HGRG verifies the decoded request path (no host, no query), so that is what is signed."""
    return unquote(urlsplit(url).path)
