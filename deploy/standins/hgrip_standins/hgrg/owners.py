"""HGRG learns who owns a backup now: owner changes (delegations, legacy claims) sent by the platform.

A change is idempotent by ``change_id``; per backup number the current owner is the change with the
highest ``sequence`` (the backup stream's version), whatever order the changes arrive in — an older
change arriving late is kept in the history but does not overwrite a newer owner. Numbers HGRG
has not received are accepted (legacy numbers come from the old platform). Changes are appended to
``$HGRIP_VAR/hgrg/owner_changes.jsonl`` and reloaded on start.
"""
import threading
from datetime import datetime
from pathlib import Path

from hgrip_standins.common import BadRequest, iso, utc_now
from hgrip_standins.hgrg.journal import Journal

REASONS = ("delegated", "claimed")
CLAIM_WAYS = ("auto", "sms", "institution")
TEXT_FIELDS = ("change_id", "backup_id", "owner_id", "owner_username", "institution_code")


def check_owner_change(number: str, body: dict) -> dict:
    """The body of ``POST /hgrg/api/v1/backups/{number}/owner``, or BadRequest saying what is wrong."""
    problems = [f"{name} must be a non-empty string" for name in TEXT_FIELDS
                if not isinstance(body.get(name), str) or not body[name].strip()]
    if body.get("backup_number") != number:
        problems.append("backup_number must be the number in the path")
    unit = body.get("unit_code")
    if unit is not None and (not isinstance(unit, str) or not unit.strip()):
        problems.append("unit_code must be a non-empty string or null")
    reason, how = body.get("reason"), body.get("how")
    if reason not in REASONS:
        problems.append(f"reason must be one of {', '.join(REASONS)}")
    elif reason == "claimed" and how not in CLAIM_WAYS:
        problems.append(f"how must be one of {', '.join(CLAIM_WAYS)} for a claim")
    elif reason == "delegated" and how is not None:
        problems.append("how must be null for a delegation")
    sequence = body.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        problems.append("sequence must be a positive integer")
    if not _aware_time(body.get("changed_at")):
        problems.append("changed_at must be an ISO 8601 time with an offset")
    if problems:
        raise BadRequest("invalid_owner_change", "; ".join(problems))
    return body


def _aware_time(value) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        return False


class OwnerBook:
    """Owner changes received so far; the JSON-lines file is the truth, the dicts its index."""

    def __init__(self, path: Path):
        self.path = path
        self._journal = Journal(path)
        self._lock = threading.Lock()
        self._by_change: dict[str, dict] = {}
        self._by_number: dict[str, list[dict]] = {}
        for record in self._journal.records():
            self._index(record)

    def _index(self, record: dict) -> None:
        if record["change_id"] not in self._by_change:
            self._by_change[record["change_id"]] = record
            self._by_number.setdefault(record["backup_number"], []).append(record)

    def receive(self, body: dict, request_id: str | None) -> tuple[bool, dict]:
        """(True, record) on first receipt of the change, (False, first record) on a repeat."""
        with self._lock:
            if body["change_id"] in self._by_change:
                return False, self._by_change[body["change_id"]]
            record = {"change_id": body["change_id"], "backup_number": body["backup_number"],
                      "received_at": iso(utc_now()), "request_id": request_id, "payload": body}
            self._journal.append(record)
            self._index(record)
            return True, record

    def owner(self, number: str) -> dict | None:
        """The current owner of a number (the change with the highest sequence) and its history."""
        with self._lock:
            changes = list(self._by_number.get(number, ()))
        if not changes:
            return None
        # max() keeps the first of equal sequences: a repeat of a sequence never displaces it.
        current = max(changes, key=lambda record: record["payload"]["sequence"])["payload"]
        return {"backup_number": number, "owner_username": current["owner_username"],
                "owner_id": current["owner_id"], "sequence": current["sequence"],
                "reason": current["reason"], "how": current.get("how"),
                "change_id": current["change_id"], "institution_code": current["institution_code"],
                "unit_code": current.get("unit_code"), "changes": changes}

    def count(self) -> int:
        with self._lock:
            return len(self._by_change)
