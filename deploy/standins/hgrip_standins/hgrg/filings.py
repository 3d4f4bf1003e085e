"""HGRG files prior reports (事先报告) citing backup numbers and tells the platform the filing number.

A filing number is ``BA`` + the filing date in Beijing time (UTC+8) ``YYYYMMDD`` + a 4-digit serial
per day from 0001, e.g. ``BA202601150001``. Filings are appended to ``$HGRIP_VAR/hgrg/filings.jsonl``
(reloaded on start, so serials never repeat), then sent to the platform by a signed callback
``POST {HGRIP_PLATFORM_URL}/api/v1/hgrg/filings``, retried a few times while the platform is away.
"""
import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import requests

from hgrip_kernel.signing import signed_headers
from hgrip_standins.hgrg.journal import Journal

BEIJING = timezone(timedelta(hours=8))
PREFIX = "BA"
SERIAL_DIGITS = 4
CALLBACK_PATH = "/api/v1/hgrg/filings"
DEFAULT_PLATFORM_URL = "http://127.0.0.1:8000"
CALLBACK_DELAYS = (0.2, 0.5, 1.0, 2.0)   # waits between the (up to 5) callback attempts
RETRYABLE = {408, 429, 500, 502, 503, 504}


class FilingsFull(Exception):
    pass


def platform_url() -> str:
    return (os.environ.get("HGRIP_PLATFORM_URL") or DEFAULT_PLATFORM_URL).rstrip("/")


def format_filing_number(day: str, serial: int) -> str:
    if not 1 <= serial < 10 ** SERIAL_DIGITS:
        raise FilingsFull(f"no filing numbers left for {day}")
    return f"{PREFIX}{day}{serial:0{SERIAL_DIGITS}d}"


class FilingBook:
    """Filings made so far; the JSON-lines file is the truth."""

    def __init__(self, path: Path):
        self.path = path
        self._journal = Journal(path)
        self._lock = threading.Lock()
        self._filings: list[dict] = self._journal.records()

    def file(self, backup_numbers: list[str], declared_mb, recipient: str, now: datetime | None = None) -> dict:
        moment = (now or datetime.now(UTC)).astimezone(BEIJING)
        day = moment.strftime("%Y%m%d")
        with self._lock:
            serial = 1 + sum(1 for f in self._filings if f["filing_number"][len(PREFIX):len(PREFIX) + 8] == day)
            filing = {"filing_number": format_filing_number(day, serial), "backup_numbers": list(backup_numbers),
                      "declared_mb": declared_mb, "recipient": recipient,
                      "filed_at": moment.isoformat(timespec="seconds")}
            self._journal.append(filing)
            self._filings.append(filing)
            return dict(filing)

    def all(self) -> list[dict]:
        with self._lock:
            return [dict(f) for f in self._filings]


def notify_platform(filing: dict, secret: str, base_url: str | None = None,
                    delays=CALLBACK_DELAYS, log=lambda message: None) -> dict:
    """POST the filing to the platform, signed; retried while unreachable or answering 5xx/429.

    Returns ``{"delivered", "status", "attempts", "answer"}`` (answer: the platform's JSON or None).
    """
    base = (base_url or platform_url()).rstrip("/")
    url = base + CALLBACK_PATH
    path = urlsplit(url).path
    body = json.dumps(filing, ensure_ascii=False).encode("utf-8")
    status, answer, attempts = None, None, 0
    for wait in (*delays, None):
        attempts += 1
        # Signed per attempt: a retry must not carry a stale timestamp.
        headers = {"Content-Type": "application/json; charset=utf-8", **signed_headers(secret, "POST", path, body)}
        try:
            response = requests.post(url, data=body, headers=headers, timeout=10)
            status = response.status_code
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if status not in RETRYABLE:
                break
            reason = f"HTTP {status}"
        except (requests.ConnectionError, requests.Timeout) as error:
            status, answer, reason = None, None, type(error).__name__
        if wait is None:
            break
        log(f"filing {filing['filing_number']}: callback {reason}, retrying")
        time.sleep(wait)
    delivered = status is not None and 200 <= status < 300
    log(f"filing {filing['filing_number']}: callback {'delivered' if delivered else 'failed'} "
        f"(status {status}, {attempts} attempts)")
    return {"delivered": delivered, "status": status, "attempts": attempts, "answer": answer}
