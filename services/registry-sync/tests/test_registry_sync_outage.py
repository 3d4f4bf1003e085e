"""HGRG away, slow or refusing: numbers wait as ``failing`` and arrive, once each, when it is back."""
from datetime import UTC, datetime

from hgrip_registry_sync.entrypoints.service import RegistrySyncService


def _count(sync_rows, url, sql, **params) -> int:
    return sync_rows(url, sql, **params)[0][0]


def test_an_outage_leaves_numbers_failing_then_each_arrives_exactly_once(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows,
        sync_states_of, wait_until):
    start_service(RegistrySyncService, sync_config(sync_db))
    hgrg.control("down")
    payloads = [backup_payload() for _ in range(6)]
    numbers = [p["backup_number"] for p in payloads]
    backups.submit(*payloads[:3], correlation_id="req-during-outage-1")
    backups.submit(*payloads[3:], correlation_id="req-during-outage-2")

    # Retries go on with growing waits (0.5 s, 1 s, 2 s …) while HGRG refuses.
    wait_until(lambda: _count(sync_rows, sync_db, "SELECT count(*) FROM sync_states "
                                                  "WHERE state = 'failing' AND attempts >= 3") == 6,
               timeout=20, message="three failed attempts on every number")
    states = sync_states_of(numbers)
    now = datetime.now(UTC)
    for state in states.values():
        assert state["state"] == "failing" and state["attempts"] >= 3
        assert state["last_error"] == "HTTP 503 unavailable: HGRG stand-in is down (control mode)"
        assert state["synced_at"] is None
        next_at = datetime.fromisoformat(state["next_attempt_at"])
        assert (next_at - now).total_seconds() < 60   # never waits past the cap
    failures = sync_rows(sync_db, "SELECT data FROM events WHERE event_type = 'SyncAttemptFailed' "
                                  "AND stream_id = :s ORDER BY stream_version", s=f"sync-{numbers[0]}")
    attempts = [data["attempt"] for (data,) in failures]
    assert attempts == list(range(1, len(attempts) + 1))
    gaps = [datetime.fromisoformat(b["next_attempt_at"]) - datetime.fromisoformat(a["next_attempt_at"])
            for (a,), (b,) in zip(failures, failures[1:], strict=False)]
    assert all(g.total_seconds() > 0 for g in gaps)
    assert hgrg.received() == []

    hgrg.control("ok")
    wait_until(lambda: _count(sync_rows, sync_db, "SELECT count(*) FROM sync_states WHERE state = 'synced'") == 6,
               timeout=20, message="every number synced once HGRG is back")
    assert sorted(hgrg.received_numbers()) == sorted(numbers)          # each exactly once…
    assert sorted(hgrg.answers("received")) == sorted(numbers)
    assert hgrg.answers("duplicate") == []                              # …and never pushed twice
    # Every batch HGRG saw carried attempts the service recorded (one per number in it), and each
    # number's attempts went in batches: fewer requests than attempts.
    statuses = hgrg.batch_statuses()
    recorded = _count(sync_rows, sync_db, "SELECT count(*) FROM events WHERE event_type IN "
                                          "('SyncAttemptFailed', 'BackupSynced')")
    assert len(statuses) < recorded <= 6 * len(statuses) and set(statuses) == {200, 503}
    assert sum(hgrg.batch_sizes()) == 6
    for number, state in sync_states_of(numbers).items():
        assert state["state"] == "synced" and state["last_error"] is None and state["next_attempt_at"] is None
        assert state["attempts"] >= 4 and state["attempts"] == _count(
            sync_rows, sync_db, "SELECT count(*) FROM events WHERE stream_id = :s "
                                "AND event_type != 'SyncRequested'", s=f"sync-{number}")
    by_number = {r["backup_number"]: r["request_id"] for r in hgrg.received()}
    assert {by_number[n] for n in numbers[:3]} == {"req-during-outage-1"}
    assert {by_number[n] for n in numbers[3:]} == {"req-during-outage-2"}


def test_an_answer_lost_to_a_slow_hgrg_becomes_a_duplicate_not_a_second_receipt(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows,
        sync_states_of, wait_until):
    # HGRG takes 1.5 s over the first request; the pusher gives up after 0.5 s, yet HGRG keeps it.
    start_service(RegistrySyncService, sync_config(sync_db, HGRG_TIMEOUT=0.5))
    hgrg.control("slow", delay_ms=1500, count=1)
    payload = backup_payload()
    number = payload["backup_number"]
    backups.submit(payload)
    wait_until(lambda: _count(sync_rows, sync_db, "SELECT count(*) FROM sync_states WHERE state = 'synced'") == 1,
               timeout=20, message="synced after the time-out")
    [state] = sync_states_of([number]).values()
    assert state["state"] == "synced" and state["attempts"] >= 2
    assert hgrg.received_numbers() == [number]
    stream = sync_rows(sync_db, "SELECT event_type, data FROM events WHERE stream_id = :s ORDER BY stream_version",
                       s=f"sync-{number}")
    assert stream[1] == ("SyncAttemptFailed", {"backup_number": number, "attempt": 1,
                                               "error": "no answer within 0.5 s",
                                               "next_attempt_at": stream[1][1]["next_attempt_at"]})
    assert stream[-1][0] == "BackupSynced"
    assert stream[-1][1]["hgrg_status"] in ("duplicate", "received")
    assert len(hgrg.answers("received")) == 1


def test_a_wrong_secret_keeps_numbers_failing_until_it_is_fixed(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows,
        sync_states_of, wait_until):
    misconfigured = start_service(RegistrySyncService, sync_config(sync_db, HGRG_SHARED_SECRET="wrong-secret"))
    payload = backup_payload()
    number = payload["backup_number"]
    backups.submit(payload)
    wait_until(lambda: _count(sync_rows, sync_db, "SELECT coalesce(max(attempts), 0) FROM sync_states") >= 2,
               timeout=20, message="refused attempts")
    [state] = sync_states_of([number]).values()
    assert state["state"] == "failing"
    assert state["last_error"] == "refused: HTTP 401 bad_signature: missing, stale or wrong X-HGRG-Signature"
    assert hgrg.received() == []

    # The operator fixes the secret and restarts: the number was kept and now goes through.
    misconfigured.stop()
    start_service(RegistrySyncService, sync_config(sync_db))
    wait_until(lambda: hgrg.received_numbers() == [number], timeout=20, message="delivery after the fix")
    wait_until(lambda: sync_states_of([number])[number]["state"] == "synced", message="synced")
