"""The OwnerChange aggregate (stream ``owner-<change_id>``): telling HGRG a backup's new owner.

A backup changes owner when it is delegated to another member (``backups.BackupDelegated``) or
when a legacy backup is claimed (``backups.BackupClaimed``). Each such event with a backup number
is one change, keyed by the event's id (the change id), pushed to HGRG like a number (same states,
backoff and idempotence: ``push_state.py``). HGRG knows only numbered backups, so a change of an
unsubmitted backup (no number yet) is nothing to push.

Changes are pushed independently and may reach HGRG in any order; each carries ``sequence``, the
backup stream's version, and HGRG keeps the change with the highest one as the current owner.
"""
from datetime import datetime

from .push_state import PushState, iso

STREAM_PREFIX = "owner-"
DELEGATED, CLAIMED = "delegated", "claimed"
REASONS = {"BackupDelegated": DELEGATED, "BackupClaimed": CLAIMED}


def owner_stream_id(change_id: str) -> str:
    return f"{STREAM_PREFIX}{change_id}"


def owner_change_body(event_type: str, event_id: str, data: dict) -> dict | None:
    """What HGRG is told of one BackupDelegated / BackupClaimed payload; None when it has no number.

    ``change_id`` is the event id, so a redelivered event names the same change.
    """
    reason = REASONS.get(event_type)
    if reason is None:
        raise ValueError(f"{event_type} does not change a backup's owner")
    if not data.get("backup_number"):
        return None
    if reason == DELEGATED:
        owner_id, username, how, changed_at = (data["to_owner_id"], data["to_username"], None,
                                               data["delegated_at"])
    else:
        owner_id, username, how, changed_at = (data["owner_id"], data["owner_username"], data["how"],
                                               data["claimed_at"])
    return {"change_id": event_id, "backup_number": data["backup_number"],
            "backup_id": data["backup_id"], "owner_id": owner_id, "owner_username": username,
            "institution_code": data["institution_code"], "unit_code": data["unit_code"],
            "reason": reason, "how": how, "sequence": data["sequence"], "changed_at": changed_at}


class OwnerChange(PushState):
    stream_type = "owner_change"
    failed_event = "OwnerChangeAttemptFailed"
    synced_event = "OwnerChangeSynced"

    @property
    def change_id(self) -> str | None:
        return self.identity.get("change_id")

    @classmethod
    def request(cls, body: dict, now: datetime) -> "OwnerChange":
        """An owner change to push; ``body`` (``owner_change_body``) is sent to HGRG as is."""
        if not body.get("change_id") or not body.get("backup_number"):
            raise ValueError("an owner change needs a change id and a backup number")
        change = cls(owner_stream_id(body["change_id"]))
        change.record("OwnerChangeRequested", {
            "change_id": body["change_id"], "backup_number": body["backup_number"],
            "reason": body["reason"], "sequence": body["sequence"], "requested_at": iso(now),
            "payload": body,
        })
        return change

    @classmethod
    def restore(cls, change_id: str, backup_number: str, state: str, attempts: int,
                version: int) -> "OwnerChange":
        """From the ``owner_changes`` row, a snapshot of the stream (see ``PushState._restored``)."""
        return cls._restored(owner_stream_id(change_id),
                             {"change_id": change_id, "backup_number": backup_number},
                             state, attempts, version)

    def apply_OwnerChangeRequested(self, data: dict) -> None:
        self._on_requested({"change_id": data["change_id"], "backup_number": data["backup_number"]})

    apply_OwnerChangeAttemptFailed = PushState._on_failed
    apply_OwnerChangeSynced = PushState._on_synced
