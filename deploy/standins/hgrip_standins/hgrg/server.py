"""The HGRG side that receives backup numbers from the platform (POST /hgrg/api/v1/backups), and
the changes of their owners (POST /hgrg/api/v1/backups/{number}/owner, see owners.py), one by one
or many in a batch with a signed receipt (POST /hgrg/api/v1/batches, see batches.py).

Receipts are idempotent by backup number (owner changes by change id) and survive restarts
(JSON lines under $HGRIP_VAR/hgrg/).
`/hgrg/control/fail` lets a test make the API unavailable, slow, fail after keeping a receipt, or answer
garbage, to exercise the platform's retries.
`/hgrg/control/filings` files a prior report citing received backup numbers and sends the filing
number back to the platform (see filings.py).
"""
import re
import threading
import time
from pathlib import Path
from urllib.parse import unquote

from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from hgrip_standins.common import BadRequest, JsonHandler, Response, iso, log, make_server, utc_now
from hgrip_standins.hgrg.batches import (
    BATCH_PATH,
    check_batch,
    item_parts,
    refused,
    request_sha256,
    signed_receipt,
)
from hgrip_standins.hgrg.filings import FilingBook, FilingsFull, notify_platform
from hgrip_standins.hgrg.journal import Journal
from hgrip_standins.hgrg.owners import OwnerBook, check_owner_change

MODES = ("ok", "down", "slow", "error500", "malformed")
# What `malformed` answers instead of the real body (the receipt is kept all the same); `unsigned`
# and `tampered` spoil only a batch's signed receipt (single answers carry no signature).
MALFORMED_BODIES = ("not_json", "wrong_shape", "other_number", "unsigned", "tampered")
OWNER_PATH = re.compile(r"/hgrg/api/v1/backups/(?P<number>[^/]+)/owner")


class ReceiptBook:
    """Backup numbers received so far; the JSON-lines file is the truth, the dict its index."""

    def __init__(self, path: Path):
        self.path = path
        self._journal = Journal(path)
        self._lock = threading.Lock()
        self._by_number: dict[str, dict] = {}
        for record in self._journal.records():
            self._by_number.setdefault(record["backup_number"], record)

    def receive(self, payload: dict, request_id: str | None) -> tuple[bool, dict]:
        """(True, record) on first receipt, (False, first record) on a repeat."""
        number = payload["backup_number"]
        with self._lock:
            if number in self._by_number:
                return False, self._by_number[number]
            record = {"backup_number": number, "received_at": iso(utc_now()),
                      "request_id": request_id, "payload": payload}
            self._journal.append(record)
            self._by_number[number] = record
            return True, record

    def all(self) -> list[dict]:
        with self._lock:
            return list(self._by_number.values())


class ConnectionCount:
    """TCP connections accepted so far: shows whether a client keeps its connection alive."""

    def __init__(self):
        self._lock = threading.Lock()
        self.count = 0

    def add(self) -> None:
        with self._lock:
            self.count += 1


class FailureControl:
    """What the API does next: answer normally, refuse (`down`), answer after a delay (`slow`), or
    handle the request and keep what it sent but answer a 500 (`error500`) or garbage (`malformed`):
    HGRG failing after it committed, or a proxy mangling its answer."""

    def __init__(self):
        self._lock = threading.Lock()
        self.set({"mode": "ok"})

    def set(self, spec: dict) -> dict:
        mode = spec.get("mode")
        if mode not in MODES:
            raise BadRequest("invalid_mode", f"mode must be one of {', '.join(MODES)}")
        delay_ms, status, count = spec.get("delay_ms", 0), spec.get("status", 503), spec.get("count")
        body = spec.get("body", MALFORMED_BODIES[0])
        if not isinstance(delay_ms, int) or delay_ms < 0:
            raise BadRequest("invalid_delay", "delay_ms must be a non-negative integer")
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise BadRequest("invalid_status", "status must be an HTTP error status (400-599)")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise BadRequest("invalid_count", "count must be a positive integer when given")
        if body not in MALFORMED_BODIES:
            raise BadRequest("invalid_body", f"body must be one of {', '.join(MALFORMED_BODIES)}")
        with self._lock:
            self.state = {"mode": mode, "delay_ms": delay_ms, "status": status, "remaining": count, "body": body}
            return dict(self.state)

    def take(self) -> dict:
        """The behaviour for one API request; a `count`-limited mode returns to `ok` when used up."""
        with self._lock:
            current = dict(self.state)
            if current["mode"] != "ok" and current["remaining"] is not None:
                self.state["remaining"] -= 1
                if self.state["remaining"] <= 0:
                    self.state = {"mode": "ok", "delay_ms": 0, "status": 503, "remaining": None,
                                  "body": MALFORMED_BODIES[0]}
            return current

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self.state)


class HgrgHandler(JsonHandler):
    standin_name = "hgrg"
    routes = {
        ("POST", "/hgrg/api/v1/backups"): "receive_backup",
        ("POST", BATCH_PATH): "receive_batch",
        ("GET", "/hgrg/api/v1/backups"): "list_backups",
        ("POST", "/hgrg/control/fail"): "set_failure",
        ("GET", "/hgrg/control/fail"): "get_failure",
        ("POST", "/hgrg/control/filings"): "file_prior_report",
        ("GET", "/hgrg/control/filings"): "list_filings",
        ("GET", "/hgrg/healthz"): "healthz",
    }

    def setup(self):
        super().setup()   # once per connection: its requests follow one another on it (keep-alive)
        self.server.connections.add()

    def resolve(self, method, path):
        exact = super().resolve(method, path)
        if exact:
            return exact
        match = OWNER_PATH.fullmatch(path)
        if match and method in ("POST", "GET"):
            return ("receive_owner_change" if method == "POST" else "get_owner"), \
                {"number": unquote(match["number"])}
        return None

    def serves_path(self, path):
        return super().serves_path(path) or bool(OWNER_PATH.fullmatch(path))

    def _apply_failure(self):
        """Act out the control mode before handling; the mode is kept for ``_answer`` afterwards."""
        self.behaviour = behaviour = self.server.failure.take()
        if behaviour["mode"] == "down":
            raise BadRequest("unavailable", "HGRG stand-in is down (control mode)", behaviour["status"])
        if behaviour["mode"] == "slow":
            time.sleep(behaviour["delay_ms"] / 1000)

    def _answer(self, status: int, answer: dict, signed: bool = False):
        """The answer to a handled signed request, spoilt as `error500` or `malformed` asks; a batch's
        receipt (``signed``) carries HGRG's signature (batches.py)."""
        mode = self.behaviour["mode"]
        if mode == "error500":
            raise BadRequest("internal_error", "HGRG stand-in failed after handling (control mode)", 500)
        body = self.behaviour["body"] if mode == "malformed" else None
        if body == "not_json":   # e.g. a proxy's error page
            return status, Response(b"<html><body>Bad Gateway</body></html>", "text/html; charset=utf-8")
        if body == "wrong_shape":
            return status, [answer.get("status"), answer.get("backup_number")]
        if body == "other_number":   # a confused HGRG: it names (and signs) another number
            answer = _other_number(answer)
        if not signed or body == "unsigned":
            return status, answer
        status, receipt = signed_receipt(self.server.secret, status, answer)
        if body == "tampered":   # changed on the way after HGRG signed it
            receipt = Response(receipt.body.replace(b'"duplicate"', b'"received"').replace(b"}", b" }", 1),
                               receipt.content_type, receipt.headers)
        return status, receipt

    def _signed_json(self) -> dict:
        """The body of a signed API request, after the control mode and the signature (§1) let it in."""
        self._apply_failure()
        if not verify(self.server.secret, "POST", unquote(self.url_path), self.headers.get(TIMESTAMP_HEADER),
                      self.headers.get(SIGNATURE_HEADER), self.body):
            raise BadRequest("bad_signature", "missing, stale or wrong X-HGRG-Signature", 401)
        return self.json_body()

    def receive_backup(self):
        created, answer = self._take_backup(self._signed_json(), self.headers.get("X-Request-Id"))
        return self._answer(201 if created else 200, answer)

    def _take_backup(self, payload: dict, request_id: str | None) -> tuple[bool, dict]:
        number = payload.get("backup_number")
        if not isinstance(number, str) or not number.strip():
            raise BadRequest("invalid_backup_number", "backup_number must be a non-empty string")
        created, record = self.server.book.receive(payload, request_id)
        log("hgrg", f"backup number {number} {'received' if created else 'duplicate'}")
        return created, {"status": "received" if created else "duplicate", "backup_number": number,
                         "received_at": record["received_at"]}

    def receive_batch(self):
        """Every item taken as its single endpoint takes it, in order; one signed receipt (§6)."""
        batch_id, items = check_batch(self._signed_json())
        header_id = self.headers.get("X-Request-Id")
        answers = [self._take_item(item, header_id) for item in items]
        log("hgrg", f"batch {batch_id} of {len(items)}: " + ", ".join(
            f"{status} {sum(1 for a in answers if a['status'] == status)}"
            for status in ("received", "duplicate", "refused")))
        return self._answer(200, {"batch_id": batch_id, "request_sha256": request_sha256(self.body),
                                  "items": answers}, signed=True)

    def _take_item(self, item, header_id: str | None) -> dict:
        try:
            kind, body, request_id = item_parts(item)
            if kind == "backup":
                return {"kind": kind, **self._take_backup(body, request_id or header_id)[1]}
            return {"kind": kind, **self._take_owner_change(body.get("backup_number"), body,
                                                            request_id or header_id)[1]}
        except BadRequest as error:   # this item only: the others are taken all the same
            return refused(item, error)

    def list_backups(self):
        self._apply_failure()
        items = self.server.book.all()
        return 200, {"items": items, "count": len(items)}

    def receive_owner_change(self, number):
        created, answer = self._take_owner_change(number, self._signed_json(), self.headers.get("X-Request-Id"))
        return self._answer(201 if created else 200, answer)

    def _take_owner_change(self, number, body: dict, request_id: str | None) -> tuple[bool, dict]:
        if not isinstance(number, str) or not number.strip():
            raise BadRequest("invalid_owner_change", "backup_number must be a non-empty string")
        body = check_owner_change(number, body)
        created, record = self.server.owners.receive(body, request_id)
        log("hgrg", f"owner change {record['change_id']} of {number} "
                    f"(sequence {record['payload']['sequence']}) {'received' if created else 'duplicate'}")
        return created, {"status": "received" if created else "duplicate", "change_id": record["change_id"],
                         "backup_number": number, "received_at": record["received_at"]}

    def get_owner(self, number):
        self._apply_failure()
        owner = self.server.owners.owner(number)
        if owner is None:
            raise BadRequest("owner_not_found", f"HGRG has received no owner change of {number}", 404)
        return 200, owner

    def set_failure(self):
        state = self.server.failure.set(self.json_body())
        log("hgrg", f"control: {state}")
        return 200, state

    def get_failure(self):
        return 200, self.server.failure.snapshot()

    def file_prior_report(self):
        """File a prior report citing received backup numbers; the platform hears of it by callback."""
        payload = self.json_body()
        numbers, declared, recipient = (payload.get("backup_numbers"), payload.get("declared_mb"),
                                        payload.get("recipient"))
        if (not isinstance(numbers, list) or not numbers
                or not all(isinstance(n, str) and n.strip() for n in numbers)):
            raise BadRequest("invalid_backup_numbers", "backup_numbers must be a non-empty list of strings")
        if isinstance(declared, bool) or not isinstance(declared, (int, float)) or not declared > 0:
            raise BadRequest("invalid_declared_mb", "declared_mb must be a number greater than 0")
        if not isinstance(recipient, str) or not recipient.strip():
            raise BadRequest("invalid_recipient", "recipient must be a non-empty string")
        numbers = list(dict.fromkeys(n.strip() for n in numbers))
        received = {record["backup_number"] for record in self.server.book.all()}
        unknown = [n for n in numbers if n not in received]
        if unknown:
            raise BadRequest("unknown_backup_number",
                             f"HGRG has not received these backup numbers: {', '.join(unknown)}")
        try:
            filing = self.server.filings.file(numbers, declared, recipient.strip())
        except FilingsFull as error:
            raise BadRequest("filing_numbers_exhausted", str(error), 503) from error
        log("hgrg", f"filed {filing['filing_number']} citing {', '.join(numbers)}")
        callback = notify_platform(filing, self.server.secret, log=lambda message: log("hgrg", message))
        return 201, {**filing, "callback": callback}

    def list_filings(self):
        items = self.server.filings.all()
        return 200, {"items": items, "count": len(items)}

    def healthz(self):
        return 200, {"status": "ok", "mode": self.server.failure.snapshot()["mode"],
                     "received": len(self.server.book.all()), "owner_changes": self.server.owners.count(),
                     "connections": self.server.connections.count}


OTHER_NUMBER = "BF" + "0" * 13


def _other_number(answer: dict) -> dict:
    """The answer naming another backup number (each item's, for a batch's receipt)."""
    if isinstance(answer.get("items"), list):
        return {**answer, "items": [{**item, "backup_number": OTHER_NUMBER} for item in answer["items"]]}
    return {**answer, "backup_number": OTHER_NUMBER}


def create_server(host: str, port: int, secret: str, directory: Path):
    return make_server(HgrgHandler, host, port, secret=secret,
                       book=ReceiptBook(directory / "received.jsonl"), failure=FailureControl(),
                       filings=FilingBook(directory / "filings.jsonl"),
                       owners=OwnerBook(directory / "owner_changes.jsonl"), connections=ConnectionCount())
