"""The operator's console in registry-sync: a number's pushes, and synchronisation at a glance."""
import pytest

from hgrip_kernel.errors import DomainError
from hgrip_registry_sync.app import intake, status


def request_sync(sync, delivered, payload):
    envelope = delivered("BackupSubmitted", payload)
    assert intake.request_sync(sync.ports, sync.request("req-submit"), envelope, payload["backup_number"],
                               payload["backup_id"])


def test_at_a_glance_pending_failing_oldest_and_last_success(sync, delivered, backup_payload):
    empty = status.summary(sync.ports)
    assert (empty["pending"], empty["failing"], empty["oldest_pending_age_seconds"], empty["last_synced_at"]) == \
        (0, 0, None, None)
    first, second = backup_payload(), backup_payload()
    request_sync(sync, delivered, first)
    sync.pusher().push_due()                       # synced
    synced_at = sync.now
    sync.wait(seconds=30)
    request_sync(sync, delivered, second)
    sync.hgrg.mode = "down"
    sync.pusher().push_due()                       # failing
    sync.wait(seconds=90)
    glance = status.summary(sync.ports)
    assert (glance["pending"], glance["failing"], glance["numbers"]["synced"]) == (0, 1, 1)
    assert glance["oldest_pending_age_seconds"] == 90
    assert glance["last_synced_at"] == synced_at.isoformat()


def test_a_numbers_pushes_with_attempts_and_last_error(sync, delivered, backup_payload):
    payload = backup_payload()
    request_sync(sync, delivered, payload)
    sync.hgrg.mode = "down"
    sync.pusher().push_due()
    pushes = status.pushes(sync.ports, payload["backup_number"])
    assert pushes["number"]["state"] == "failing" and pushes["number"]["attempts"] == 1
    assert pushes["number"]["last_error"] == "HTTP 503 unavailable: HGRG is down"
    assert pushes["owner_changes"] == []
    assert status.pushes(sync.ports, "BF2099010100001") == {
        "backup_number": "BF2099010100001", "number": None, "owner_changes": []}
    with pytest.raises(DomainError):
        status.pushes(sync.ports, " ")
