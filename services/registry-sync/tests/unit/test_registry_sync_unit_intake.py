"""What enters the push queues, and what the RPCs answer about them, over fakes."""
import pytest

from hgrip_kernel.errors import InvalidInput, NotFound
from hgrip_registry_sync.app import intake, status


def test_a_submitted_number_is_requested_once_by_event_and_by_number(sync, delivered, backup_payload):
    payload = backup_payload()
    number = payload["backup_number"]
    envelope = delivered("BackupSubmitted", payload)
    args = (payload["backup_number"], payload["backup_id"])
    request = sync.request("req-submit")
    assert intake.request_sync(sync.ports, request, envelope, *args) is True
    assert intake.request_sync(sync.ports, request, envelope, *args) is False   # redelivered
    again = delivered("BackupSubmitted", payload)                               # another event
    assert intake.request_sync(sync.ports, request, again, *args) is False
    assert sync.log.events() == ["backup_submitted_duplicate", "sync_already_requested"]
    assert [e.event_type for e in sync.store.read_all()] == ["SyncRequested"]
    assert status.sync_state(sync.ports, number) == {
        "backup_number": number, "state": "pending", "attempts": 0, "last_error": None, "synced_at": None,
        "next_attempt_at": sync.now.isoformat()}


def test_an_unknown_number_has_no_sync_state(sync):
    with pytest.raises(NotFound) as refused:
        status.sync_state(sync.ports, "BF2026011599999")
    assert refused.value.code == "sync_state_not_found"


def test_an_owner_change_of_an_unnumbered_backup_is_nothing_to_push(sync, delivered, owner_events, new_id):
    data = owner_events.delegated(new_id(), None, 2)
    assert intake.request_owner_change(sync.ports, sync.request("req"), delivered("BackupDelegated", data)) is None
    assert sync.store.read_all() == []
    assert sync.log.events()[0] == "owner_change_without_number"


def test_owner_changes_are_listed_by_sequence_and_a_redelivery_adds_nothing(sync, delivered, owner_events,
                                                                           new_id):
    backup_id, number = new_id(), "BF2026011500077"
    later = delivered("BackupClaimed", owner_events.claimed(backup_id, number, 5))
    earlier = delivered("BackupDelegated", owner_events.delegated(backup_id, number, 3))
    for envelope in (later, earlier, later):
        intake.request_owner_change(sync.ports, sync.request("req"), envelope)
    assert sync.log.events()[-1] == "owner_change_duplicate"
    changes = status.owner_changes(sync.ports, f"  {number} ")
    assert [(c["sequence"], c["reason"], c["state"]) for c in changes] == [(3, "delegated", "pending"),
                                                                          (5, "claimed", "pending")]


@pytest.mark.parametrize("number", ["", "   ", None, 42])
def test_owner_changes_need_a_backup_number(sync, number):
    with pytest.raises(InvalidInput) as refused:
        status.owner_changes(sync.ports, number)
    assert refused.value.code == "invalid_backup_number"


def test_a_new_row_is_born_leased_to_the_local_pusher_and_handed_over(sync, delivered, backup_payload, owner_events):
    from datetime import timedelta

    pusher = sync.local_pusher()
    payload = backup_payload()
    envelope = delivered("BackupSubmitted", payload)
    args = (payload["backup_number"], payload["backup_id"])
    assert intake.request_sync(sync.ports, sync.request("req-submit"), envelope, *args, pusher) is True
    assert intake.request_sync(sync.ports, sync.request("req-submit"), envelope, *args, pusher) is False
    change = delivered("BackupDelegated", owner_events.delegated(payload["backup_id"], payload["backup_number"], 2))
    body = intake.request_owner_change(sync.ports, sync.request("req-delegate"), change, pusher)
    # Handed over once each, and hidden from every other pusher's claim until the lease runs out.
    assert [(r.queue, r.key, r.correlation_id, r.attempts) for r in pusher.handed] == [
        ("number", payload["backup_number"], "req-submit", 0), ("owner_change", body["change_id"], "req-delegate", 0)]
    assert pusher.handed[0].payload == payload and pusher.handed[1].payload == body
    assert sync.rows.sync_state(payload["backup_number"])["next_attempt_at"] == sync.now + timedelta(seconds=15)
    assert sync.pusher().claim(limit=10) == []
    sync.wait(seconds=15)
    assert len(sync.pusher().claim(limit=10)) == 2   # (its pusher died: anyone takes them)
