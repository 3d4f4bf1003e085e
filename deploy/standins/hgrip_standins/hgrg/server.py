"""The HGRG side that receives backup numbers from the platform (POST /hgrg/api/v1/backups).

Receipts are idempotent by backup number and survive restarts (JSON lines under $HGRIP_VAR/hgrg/).
`/hgrg/control/fail` lets a test make the API unavailable or slow, to exercise the platform's retries.
`/hgrg/control/filings` files a prior report citing received backup numbers and sends the filing
number back to the platform (see filings.py).
"""
import json
import threading
import time
from pathlib import Path

from hgrip_kernel.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from hgrip_standins.common import BadRequest, JsonHandler, iso, log, make_server, utc_now
from hgrip_standins.hgrg.filings import FilingBook, FilingsFull, notify_platform

MODES = ("ok", "down", "slow")


class ReceiptBook:
    """Backup numbers received so far; the JSON-lines file is the truth, the dict its index."""

    def __init__(self, path: Path):
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._by_number: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    self._by_number.setdefault(record["backup_number"], record)

    def receive(self, payload: dict, request_id: str | None) -> tuple[bool, dict]:
        """(True, record) on first receipt, (False, first record) on a repeat."""
        number = payload["backup_number"]
        with self._lock:
            if number in self._by_number:
                return False, self._by_number[number]
            record = {"backup_number": number, "received_at": iso(utc_now()),
                      "request_id": request_id, "payload": payload}
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._by_number[number] = record
            return True, record

    def all(self) -> list[dict]:
        with self._lock:
            return list(self._by_number.values())


class FailureControl:
    """What the API does next: answer normally, refuse (`down`), or answer after a delay (`slow`)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.set({"mode": "ok"})

    def set(self, spec: dict) -> dict:
        mode = spec.get("mode")
        if mode not in MODES:
            raise BadRequest("invalid_mode", f"mode must be one of {', '.join(MODES)}")
        delay_ms, status, count = spec.get("delay_ms", 0), spec.get("status", 503), spec.get("count")
        if not isinstance(delay_ms, int) or delay_ms < 0:
            raise BadRequest("invalid_delay", "delay_ms must be a non-negative integer")
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise BadRequest("invalid_status", "status must be an HTTP error status (400-599)")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise BadRequest("invalid_count", "count must be a positive integer when given")
        with self._lock:
            self.state = {"mode": mode, "delay_ms": delay_ms, "status": status, "remaining": count}
            return dict(self.state)

    def take(self) -> dict:
        """The behaviour for one API request; a `count`-limited mode returns to `ok` when used up."""
        with self._lock:
            current = dict(self.state)
            if current["mode"] != "ok" and current["remaining"] is not None:
                self.state["remaining"] -= 1
                if self.state["remaining"] <= 0:
                    self.state = {"mode": "ok", "delay_ms": 0, "status": 503, "remaining": None}
            return current

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self.state)


class HgrgHandler(JsonHandler):
    standin_name = "hgrg"
    routes = {
        ("POST", "/hgrg/api/v1/backups"): "receive_backup",
        ("GET", "/hgrg/api/v1/backups"): "list_backups",
        ("POST", "/hgrg/control/fail"): "set_failure",
        ("GET", "/hgrg/control/fail"): "get_failure",
        ("POST", "/hgrg/control/filings"): "file_prior_report",
        ("GET", "/hgrg/control/filings"): "list_filings",
        ("GET", "/hgrg/healthz"): "healthz",
    }

    def _apply_failure(self):
        behaviour = self.server.failure.take()
        if behaviour["mode"] == "down":
            raise BadRequest("unavailable", "HGRG stand-in is down (control mode)", behaviour["status"])
        if behaviour["mode"] == "slow":
            time.sleep(behaviour["delay_ms"] / 1000)

    def receive_backup(self):
        self._apply_failure()
        if not verify(self.server.secret, "POST", self.url_path, self.headers.get(TIMESTAMP_HEADER),
                      self.headers.get(SIGNATURE_HEADER), self.body):
            raise BadRequest("bad_signature", "missing, stale or wrong X-HGRG-Signature", 401)
        payload = self.json_body()
        number = payload.get("backup_number")
        if not isinstance(number, str) or not number.strip():
            raise BadRequest("invalid_backup_number", "backup_number must be a non-empty string")
        created, record = self.server.book.receive(payload, self.headers.get("X-Request-Id"))
        log("hgrg", f"backup number {number} {'received' if created else 'duplicate'}")
        answer = {"status": "received" if created else "duplicate", "backup_number": number,
                  "received_at": record["received_at"]}
        return (201 if created else 200), answer

    def list_backups(self):
        self._apply_failure()
        items = self.server.book.all()
        return 200, {"items": items, "count": len(items)}

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
            raise BadRequest("filing_numbers_exhausted", str(error), 503)
        log("hgrg", f"filed {filing['filing_number']} citing {', '.join(numbers)}")
        callback = notify_platform(filing, self.server.secret, log=lambda message: log("hgrg", message))
        return 201, {**filing, "callback": callback}

    def list_filings(self):
        items = self.server.filings.all()
        return 200, {"items": items, "count": len(items)}

    def healthz(self):
        return 200, {"status": "ok", "mode": self.server.failure.snapshot()["mode"],
                     "received": len(self.server.book.all())}


def create_server(host: str, port: int, secret: str, directory: Path):
    return make_server(HgrgHandler, host, port, secret=secret,
                       book=ReceiptBook(directory / "received.jsonl"), failure=FailureControl(),
                       filings=FilingBook(directory / "filings.jsonl"))
