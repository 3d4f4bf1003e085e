"""Several registry-sync instances at once, and instances that die mid-stream: nothing is lost,
and nothing is pushed twice unless a push was cut off in flight (then HGRG's idempotence holds).

A double push would be invisible in HGRG's receipts (it dedupes), so these tests count what
HGRG was *asked* — every POST in the stand-in's access log — against the attempts the service
recorded, and look for ``duplicate`` answers.
"""
import signal
import time

import pytest

from hgrip_kernel.testing.platform import Platform
from hgrip_registry_sync.entrypoints.service import RegistrySyncService

SECRET = "registry-sync-test-hgrg-secret"


def _count(sync_rows, url, sql, **params) -> int:
    return sync_rows(url, sql, **params)[0][0]


def _synced(sync_rows, url) -> int:
    return _count(sync_rows, url, "SELECT count(*) FROM sync_states WHERE state = 'synced'")


def test_two_instances_share_the_work_without_pushing_anything_twice(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows, wait_until):
    config = sync_config(sync_db)
    start_service(RegistrySyncService, config)
    start_service(RegistrySyncService, dict(config))
    payloads = [backup_payload() for _ in range(40)]
    for start in range(0, 40, 4):
        backups.submit(*payloads[start:start + 4])

    wait_until(lambda: _synced(sync_rows, sync_db) == 40, timeout=30, message="all 40 synced")
    numbers = sorted(p["backup_number"] for p in payloads)
    assert sorted(hgrg.received_numbers()) == numbers
    assert sorted(hgrg.answers("received")) == numbers  # each pushed once…
    assert sum(hgrg.batch_sizes()) == 40                 # …in batches that held nothing twice
    assert hgrg.answers("duplicate") == []
    synced = sync_rows(sync_db, "SELECT actor, data FROM events WHERE event_type = 'BackupSynced'")
    assert sorted(data["backup_number"] for _, data in synced) == numbers
    assert {data["attempt"] for _, data in synced} == {1}
    assert len({actor for actor, _ in synced}) == 2     # both instances pushed a share


def test_an_instance_killed_mid_stream_loses_nothing(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows, wait_until):
    # Slow HGRG, so pushes are in flight when the instance dies; a short lease, so the test does
    # not wait long for the abandoned ones.
    config = sync_config(sync_db, HGRG_TIMEOUT=1, SYNC_LEASE_SECONDS=3, SYNC_BATCH_SIZE=4)
    hgrg.control("slow", delay_ms=300)
    first = start_service(RegistrySyncService, config)
    payloads = [backup_payload() for _ in range(24)]
    backups.submit(*payloads[:12])
    backups.submit(*payloads[12:])
    wait_until(lambda: len(hgrg.received()) >= 4, timeout=20, message="a few receipts")
    first.kill()   # no graceful stop: pushes in flight and unacked events are abandoned
    in_flight_at_kill = 4   # SYNC_CONCURRENCY (1) batches of SYNC_BATCH_SIZE
    done_before = len(hgrg.received())
    assert done_before < 24, "the stream should still be going when the instance dies"

    more = [backup_payload() for _ in range(8)]   # submitted while no instance runs: they queue
    backups.submit(*more)
    start_service(RegistrySyncService, dict(config))
    hgrg.control("ok")
    everything = payloads + more
    wait_until(lambda: _synced(sync_rows, sync_db) == 32, timeout=40, message="all 32 synced")

    numbers = sorted(p["backup_number"] for p in everything)
    assert sorted(hgrg.received_numbers()) == numbers          # every number, each exactly once
    assert sorted(hgrg.answers("received")) == numbers
    # Only a push cut off by the kill may be repeated, and HGRG answers it "duplicate".
    assert len(hgrg.answers("duplicate")) <= in_flight_at_kill
    assert _count(sync_rows, sync_db, "SELECT count(*) FROM sync_states") == 32


@pytest.mark.slow
def test_processes_share_the_work_and_one_killed_with_sigkill_loses_nothing(
        sync_db, amqp_uri, backups, backup_payload, hgrg, sync_rows, tmp_path, wait_until):
    """Real ``hgrip serve registry-sync`` processes: true parallelism, and a real SIGKILL."""
    env = {"HGRIP_AMQP_URI": amqp_uri, "HGRIP_VAR": str(tmp_path / "var"),
           "HGRIP_REGISTRY_SYNC_DATABASE_URL": sync_db, "HGRIP_HGRG_URL": hgrg.base_url,
           "HGRIP_HGRG_SHARED_SECRET": SECRET, "HGRIP_HGRG_TIMEOUT": "1",
           "HGRIP_SYNC_LEASE_SECONDS": "3", "HGRIP_SYNC_POLL_INTERVAL": "0.1", "HGRIP_SYNC_BATCH_SIZE": "4",
           "HGRIP_RETRY_DELAY_MS": "200", "HGRIP_GATEWAY_ADDRESS": "127.0.0.1:0"}   # (unused here)
    platform = Platform(env, tmp_path / "logs")
    try:
        for key in ("sync-a", "sync-b"):
            platform.start("registry-sync", instance=key)
        logs = tmp_path / "logs"
        wait_until(lambda: all("sync_pusher_started" in (logs / f"{key}.log").read_text()
                               for key in ("sync-a", "sync-b")), timeout=30, message="both to start")
        time.sleep(0.5)   # consumers attached

        hgrg.control("slow", delay_ms=200)
        payloads = [backup_payload() for _ in range(40)]
        for start in range(0, 40, 5):
            backups.submit(*payloads[start:start + 5])
        wait_until(lambda: all("hgrg_push_succeeded" in (logs / f"{key}.log").read_text()
                               for key in ("sync-a", "sync-b")),
                   timeout=20, message="both processes pushing")   # side by side, truly parallel
        platform.stop("sync-a", sig=signal.SIGKILL)
        assert len(hgrg.received()) < 40, "the stream should still be going when the process dies"
        platform.start("registry-sync", instance="sync-c")
        hgrg.control("ok")
        wait_until(lambda: _synced(sync_rows, sync_db) == 40, timeout=60, message="all 40 synced")

        numbers = sorted(p["backup_number"] for p in payloads)
        assert sorted(hgrg.received_numbers()) == numbers
        assert sorted(hgrg.answers("received")) == numbers
        assert len(hgrg.answers("duplicate")) <= 4          # at most the batch cut off by SIGKILL
        actors = {actor for (actor,) in sync_rows(
            sync_db, "SELECT actor FROM events WHERE event_type = 'BackupSynced'")}
        assert len(actors) >= 2                              # the work was shared
    finally:
        platform.stop_all()
