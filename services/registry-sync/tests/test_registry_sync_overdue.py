"""HGRG away longer than SYNC_OVERDUE_SECONDS: one BackupSyncOverdue per number, pushing goes on."""
import time

from hgrip_registry_sync.entrypoints.service import RegistrySyncService


def test_a_number_failing_past_the_threshold_is_reported_once(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows, wait_until):
    start_service(RegistrySyncService, sync_config(sync_db, SYNC_OVERDUE_SECONDS=1))
    hgrg.control("down")
    payload = backup_payload()
    number = payload["backup_number"]
    backups.submit(payload, correlation_id="req-overdue")

    def overdue():
        return sync_rows(sync_db, "SELECT data, correlation_id FROM events WHERE event_type = 'BackupSyncOverdue'")
    wait_until(lambda: len(overdue()) == 1, timeout=20, message="the number reported overdue")
    [(data, correlation_id)] = overdue()
    assert data["backup_number"] == number and data["backup_id"] == payload["backup_id"]
    assert data["threshold_seconds"] == 1 and data["attempts"] >= 1 and "down" in data["last_error"]
    assert correlation_id == "req-overdue"
    [(overdue_at,)] = sync_rows(sync_db, "SELECT overdue_at FROM sync_states WHERE backup_number = :n", n=number)
    assert overdue_at is not None
    time.sleep(3)                                      # more failed attempts: no second report
    assert len(overdue()) == 1
    hgrg.control("ok")
    wait_until(lambda: sync_rows(sync_db, "SELECT state FROM sync_states WHERE backup_number = :n",
                                 n=number)[0][0] == "synced", timeout=20, message="synced once HGRG is back")
    assert len(overdue()) == 1 and hgrg.received_numbers() == [number]
    # Only the report is published (verification consumes it); SyncRequested, the failed attempts
    # and BackupSynced stay in registry-sync's store (on_broker=False): no outbox row.
    assert sync_rows(sync_db, "SELECT e.event_type FROM outbox o JOIN events e ON e.position = o.position") == [
        ("BackupSyncOverdue",)]
