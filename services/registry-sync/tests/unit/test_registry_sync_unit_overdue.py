"""A number not at HGRG longer than the threshold is reported overdue (BackupSyncOverdue), once per
failing spell, on a fake clock."""
from datetime import UTC, datetime, timedelta

from hgrip_registry_sync.app import intake
from hgrip_registry_sync.domain import SyncState

THRESHOLD = timedelta(minutes=60)


def request_sync(sync, delivered, payload):
    envelope = delivered("BackupSubmitted", payload)
    assert intake.request_sync(sync.ports, sync.request("req-submit"), envelope, payload["backup_number"],
                               payload["backup_id"])


def overdue_events(sync, number):
    return [data for event_type, data in sync.stream(f"sync-{number}") if event_type == "BackupSyncOverdue"]


def fail_until(sync, pusher, minutes):
    end = sync.now + timedelta(minutes=minutes)
    while sync.now < end:
        pusher.push_due()
        sync.wait(seconds=30)


def test_overdue_once_after_the_threshold_then_pushing_goes_on(sync, delivered, backup_payload):
    payload = backup_payload()
    number = payload["backup_number"]
    start = sync.now
    request_sync(sync, delivered, payload)
    pusher = sync.pusher(overdue_after=THRESHOLD)
    sync.hgrg.mode = "down"
    fail_until(sync, pusher, 59)
    assert overdue_events(sync, number) == []             # not yet: under the threshold
    fail_until(sync, pusher, 10)
    [event] = overdue_events(sync, number)
    assert event["backup_id"] == payload["backup_id"] and event["since"] == start.isoformat()
    assert event["threshold_seconds"] == 3600 and event["attempts"] >= 2
    assert event["last_error"] == "HTTP 503 unavailable: HGRG is down"
    assert sync.rows.sync_state(number)["overdue_at"] is not None
    fail_until(sync, pusher, 120)
    assert len(overdue_events(sync, number)) == 1         # once per failing spell
    sync.hgrg.mode = "ok"
    fail_until(sync, pusher, 2)
    assert sync.rows.sync_state(number)["state"] == "synced"
    assert len(overdue_events(sync, number)) == 1


def test_no_threshold_no_report_and_a_quick_recovery_is_not_overdue(sync, delivered, backup_payload):
    first, second = backup_payload(), backup_payload()
    request_sync(sync, delivered, first)
    sync.hgrg.mode = "down"
    fail_until(sync, sync.pusher(), 90)
    assert overdue_events(sync, first["backup_number"]) == []
    request_sync(sync, delivered, second)
    pusher = sync.pusher(overdue_after=THRESHOLD)
    fail_until(sync, pusher, 5)
    sync.hgrg.mode = "ok"
    fail_until(sync, pusher, 2)
    assert overdue_events(sync, second["backup_number"]) == []


def test_the_rule_on_a_restored_snapshot():
    sync = SyncState.restore("BF2026011500001", "failing", 4, 5, backup_id="b", requested_at=None)
    now = datetime(2026, 1, 15, tzinfo=UTC)
    assert not sync.report_overdue(now, THRESHOLD, "x")   # since unknown: no report
    sync = SyncState.restore("BF2026011500001", "failing", 4, 5, backup_id="b", requested_at=now - 2 * THRESHOLD)
    assert sync.report_overdue(now, THRESHOLD, "")
    assert sync.pending[0].data["last_error"] == "unknown error"
    assert not sync.report_overdue(now, THRESHOLD, "x")   # once
    done = SyncState.restore("BF2026011500001", "failing", 4, 5, backup_id="b", requested_at=now - 2 * THRESHOLD,
                             overdue_reported=True)
    assert not done.report_overdue(now, THRESHOLD, "x")
