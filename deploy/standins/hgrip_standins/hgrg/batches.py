"""HGRG receives many backup numbers and owner changes in one request (POST /hgrg/api/v1/batches,
docs/protocols/hgrg.md §6) and answers with a SIGNED receipt naming each item's outcome.

Each item is taken exactly as the single endpoints take it (idempotent by backup number, owner
changes by change id), in the order sent; an item HGRG cannot take is refused on its own, so one
bad item does not poison the others. The receipt is signed like a request (§1) with METHOD
``RECEIPT`` over the answer's bytes, and names the batch id and the SHA-256 of the request body,
so the sender can tell HGRG's own receipt of this very batch from anything a proxy might say.
"""
import hashlib
import json

from hgrip_kernel.signing import signed_headers
from hgrip_standins.common import BadRequest, Response

BATCH_PATH = "/hgrg/api/v1/batches"
MAX_ITEMS = 500
KINDS = ("backup", "owner_change")
RECEIPT_METHOD = "RECEIPT"   # a receipt's signature can never pass for a request's, nor the other way


def check_batch(batch: dict) -> tuple[str, list]:
    """(batch id, items) of a batch body, or BadRequest ``invalid_batch`` (the whole batch)."""
    batch_id, items = batch.get("batch_id"), batch.get("items")
    if not isinstance(batch_id, str) or not batch_id.strip() or len(batch_id) > 100:
        raise BadRequest("invalid_batch", "batch_id must be a non-empty string of at most 100 characters")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise BadRequest("invalid_batch", f"items must be a list of 1 to {MAX_ITEMS} items")
    return batch_id, items


def refused(item, error: BadRequest) -> dict:
    """One item's refusal, naming what it could of the item (so the sender can match it)."""
    body = item.get("body") if isinstance(item, dict) else None
    answer = {"kind": item.get("kind") if isinstance(item, dict) else None, "status": "refused",
              "error": error.code, "message": error.message}
    for key in ("backup_number", "change_id"):
        if isinstance(body, dict) and isinstance(body.get(key), str):
            answer[key] = body[key]
    return answer


def item_parts(item) -> tuple[str, dict, str | None]:
    """(kind, body, request id) of one item, or BadRequest ``invalid_item``."""
    if not isinstance(item, dict) or item.get("kind") not in KINDS or not isinstance(item.get("body"), dict):
        raise BadRequest("invalid_item", f"an item is an object with kind ({', '.join(KINDS)}) and a body object")
    request_id = item.get("request_id")
    return item["kind"], item["body"], request_id if isinstance(request_id, str) and request_id else None


def signed_receipt(secret: str, status: int, receipt, path: str = BATCH_PATH) -> tuple[int, Response]:
    """The receipt as bytes with its signature headers (§6)."""
    body = json.dumps(receipt, ensure_ascii=False).encode("utf-8")
    headers = signed_headers(secret, RECEIPT_METHOD, path, body)
    return status, Response(body, "application/json; charset=utf-8", tuple(headers.items()))


def request_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
