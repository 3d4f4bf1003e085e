"""The SyncState and OwnerChange aggregates and the backoff policy: plain Python, no I/O."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from hgrip_kernel.contracts import registry
from hgrip_registry_sync.domain import (
    BackoffPolicy,
    OwnerChange,
    SyncState,
    owner_change_body,
    owner_stream_id,
    sync_stream_id,
)

NOW = datetime(2026, 1, 15, 2, 30, tzinfo=UTC)
NUMBER = "BF2026011500042"
PAYLOAD = {"backup_number": NUMBER, "backup_id": "4b3f3c5e-8f0e-4a51-9d55-1f6f2b8a9e01"}
SUBMITTED_EVENT = "0e3c1d52-6a3f-4f83-a8b8-7d2b7f0c9a11"


def test_backoff_doubles_from_half_a_second_and_caps_at_a_minute():
    policy = BackoffPolicy()
    assert [policy.nominal(n) for n in range(1, 11)] == [0.5, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert policy.nominal(10_000) == 60   # never gives up, never overflows


def test_backoff_jitter_only_shortens_and_by_at_most_a_tenth():
    policy = BackoffPolicy()
    assert policy.delay(3, rand=lambda: 0.0) == 2.0
    assert policy.delay(3, rand=lambda: 0.999999) == pytest.approx(1.8, abs=1e-5)
    assert policy.delay(50, rand=lambda: 0.0) == 60.0   # the cap holds with jitter too
    delays = {policy.delay(4) for _ in range(200)}
    assert all(3.6 <= delay <= 4.0 for delay in delays) and len(delays) > 1   # spread out


def test_backoff_needs_a_failure():
    with pytest.raises(ValueError):
        BackoffPolicy().nominal(0)


def _stored(sync: SyncState) -> list:
    """The pending events as a store would give them back (stream versions 1, 2, …)."""
    @dataclass
    class Stored:
        event_type: str
        data: dict
        stream_version: int
    return [Stored(event.type, event.data, number)
            for number, event in enumerate(sync.pending, start=sync.version + 1)]


def test_request_starts_pending_with_the_payload_to_push():
    sync = SyncState.request(NUMBER, PAYLOAD["backup_id"], PAYLOAD, SUBMITTED_EVENT, NOW)
    assert (sync.id, sync.stream_type, sync.state, sync.attempts) == (f"sync-{NUMBER}", "sync", "pending", 0)
    assert sync_stream_id(NUMBER) == sync.id
    [event] = sync.pending
    assert event.type == "SyncRequested"
    assert event.data == {"backup_number": NUMBER, "backup_id": PAYLOAD["backup_id"],
                          "submitted_event_id": SUBMITTED_EVENT,
                          "requested_at": "2026-01-15T02:30:00+00:00", "payload": PAYLOAD}
    registry.validate("registry-sync", "SyncRequested", 1, event.data)


def test_failures_keep_it_failing_with_growing_waits_then_it_syncs():
    sync = SyncState.request(NUMBER, PAYLOAD["backup_id"], PAYLOAD, SUBMITTED_EVENT, NOW)
    policy = BackoffPolicy()
    waits = []
    for n in range(1, 4):
        at = NOW + timedelta(seconds=n)
        waits.append(sync.attempt_failed(f"HTTP 503 unavailable #{n}", at, policy, rand=lambda: 0.0) - at)
        assert (sync.state, sync.attempts) == ("failing", n)
    assert waits == [timedelta(seconds=0.5), timedelta(seconds=1), timedelta(seconds=2)]
    failed = sync.pending[1]
    assert failed.type == "SyncAttemptFailed"
    assert failed.data == {"backup_number": NUMBER, "attempt": 1, "error": "HTTP 503 unavailable #1",
                           "next_attempt_at": "2026-01-15T02:30:01.500000+00:00"}
    registry.validate("registry-sync", "SyncAttemptFailed", 1, failed.data)

    sync.succeeded("duplicate", NOW + timedelta(seconds=10))
    assert (sync.state, sync.attempts, sync.synced) == ("synced", 4, True)
    synced = sync.pending[-1]
    assert synced.type == "BackupSynced"
    assert synced.data == {"backup_number": NUMBER, "attempt": 4,
                           "synced_at": "2026-01-15T02:30:10+00:00", "hgrg_status": "duplicate"}
    registry.validate("registry-sync", "BackupSynced", 1, synced.data)

    # Folding the same events from the store gives the same state.
    replayed = SyncState.rehydrate(sync.id, _stored(sync))
    assert (replayed.state, replayed.attempts, replayed.version, replayed.backup_number) == \
        ("synced", 4, 5, NUMBER)


def test_synced_is_final():
    sync = SyncState.request(NUMBER, PAYLOAD["backup_id"], PAYLOAD, SUBMITTED_EVENT, NOW)
    sync.succeeded("received", NOW)
    with pytest.raises(ValueError):
        sync.succeeded("received", NOW)
    with pytest.raises(ValueError):
        sync.attempt_failed("late", NOW, BackoffPolicy())
    assert len(sync.pending) == 2


def test_restore_from_a_snapshot_continues_the_count_at_its_version():
    sync = SyncState.restore(NUMBER, "failing", 7, version=8)
    next_at = sync.attempt_failed("no answer within 5 s", NOW, BackoffPolicy(), rand=lambda: 0.0)
    assert next_at == NOW + timedelta(seconds=60)        # the 8th failure waits the cap
    assert sync.pending[0].data["attempt"] == 8 and sync.version == 8   # appended at version 9
    with pytest.raises(ValueError):
        SyncState.restore(NUMBER, "synced", 3, version=4).attempt_failed("x", NOW, BackoffPolicy())


def test_unknown_hgrg_status_and_long_errors():
    sync = SyncState.request(NUMBER, PAYLOAD["backup_id"], PAYLOAD, SUBMITTED_EVENT, NOW)
    with pytest.raises(ValueError):
        sync.succeeded("maybe", NOW)
    sync.attempt_failed("x" * 2000, NOW, BackoffPolicy())
    assert len(sync.pending[-1].data["error"]) == 500
    sync.attempt_failed("", NOW, BackoffPolicy())
    assert sync.pending[-1].data["error"] == "unknown error"


# Owner changes (delegations, legacy claims): the same states as a number, keyed by the change id.

CHANGE_ID = "7d4a3f0e-1b2c-4d5e-8f90-a1b2c3d4e5f6"
BACKUP_ID = "4b3f3c5e-8f0e-4a51-9d55-1f6f2b8a9e01"


def test_a_delegation_tells_hgrg_the_new_owner(owner_events):
    data = owner_events.delegated(BACKUP_ID, NUMBER, sequence=4, to_username="wangyuqing")
    registry.validate("backups", "BackupDelegated", 1, data)   # the factory follows the contract
    assert owner_change_body("BackupDelegated", CHANGE_ID, data) == {
        "change_id": CHANGE_ID, "backup_number": NUMBER, "backup_id": BACKUP_ID,
        "owner_id": data["to_owner_id"], "owner_username": "wangyuqing",
        "institution_code": "INST-0008182183", "unit_code": "UNIT-019AA16948",
        "reason": "delegated", "how": None, "sequence": 4, "changed_at": data["delegated_at"]}


def test_a_legacy_claim_tells_hgrg_the_owner_and_how_it_was_claimed(owner_events):
    data = owner_events.claimed(BACKUP_ID, "BF20190312001", sequence=2, how="auto")
    registry.validate("backups", "BackupClaimed", 1, data)
    body = owner_change_body("BackupClaimed", CHANGE_ID, data)
    assert body == owner_events.body(CHANGE_ID, data)
    assert (body["reason"], body["how"], body["owner_id"], body["changed_at"]) == (
        "claimed", "auto", data["owner_id"], data["claimed_at"])


def test_a_backup_without_a_number_is_nothing_to_push(owner_events):
    data = owner_events.delegated(BACKUP_ID, None, sequence=2)
    registry.validate("backups", "BackupDelegated", 1, data)
    assert owner_change_body("BackupDelegated", CHANGE_ID, data) is None
    with pytest.raises(ValueError):
        owner_change_body("BackupSubmitted", CHANGE_ID, data)


def test_an_owner_change_goes_pending_failing_synced_like_a_number(owner_events):
    body = owner_change_body("BackupClaimed", CHANGE_ID, owner_events.claimed(BACKUP_ID, NUMBER, 3))
    change = OwnerChange.request(body, NOW)
    assert (change.id, change.stream_type, change.state, change.change_id) == (
        f"owner-{CHANGE_ID}", "owner_change", "pending", CHANGE_ID)
    assert owner_stream_id(CHANGE_ID) == change.id
    [requested] = change.pending
    assert (requested.type, requested.data) == ("OwnerChangeRequested", {
        "change_id": CHANGE_ID, "backup_number": NUMBER, "reason": "claimed", "sequence": 3,
        "requested_at": "2026-01-15T02:30:00+00:00", "payload": body})

    assert change.attempt_failed("HTTP 503", NOW, BackoffPolicy(), rand=lambda: 0.0) == NOW + timedelta(seconds=0.5)
    change.succeeded("received", NOW + timedelta(seconds=1))
    assert [(e.type, e.data) for e in change.pending[1:]] == [
        ("OwnerChangeAttemptFailed", {"change_id": CHANGE_ID, "backup_number": NUMBER, "attempt": 1,
                                      "error": "HTTP 503", "next_attempt_at": "2026-01-15T02:30:00.500000+00:00"}),
        ("OwnerChangeSynced", {"change_id": CHANGE_ID, "backup_number": NUMBER, "attempt": 2,
                               "synced_at": "2026-01-15T02:30:01+00:00", "hgrg_status": "received"})]
    with pytest.raises(ValueError):   # synced is final here too
        change.attempt_failed("late", NOW, BackoffPolicy())

    replayed = OwnerChange.rehydrate(change.id, _stored(change))
    assert (replayed.state, replayed.attempts, replayed.version, replayed.identity) == (
        "synced", 2, 3, {"change_id": CHANGE_ID, "backup_number": NUMBER})
    restored = OwnerChange.restore(CHANGE_ID, NUMBER, "failing", 5, version=6)
    restored.succeeded("duplicate", NOW)
    assert restored.pending[0].data["attempt"] == 6 and restored.id == change.id


def test_an_owner_change_needs_a_change_id_and_a_number():
    with pytest.raises(ValueError):
        OwnerChange.request({"change_id": CHANGE_ID, "backup_number": None}, NOW)
    with pytest.raises(ValueError):
        OwnerChange.request({"change_id": "", "backup_number": NUMBER}, NOW)
