"""Owner changes end to end: BackupDelegated / BackupClaimed over RabbitMQ in, HGRG owner receipts out.

Real PostgreSQL, RabbitMQ and HGRG stand-in; the events come from a real event store with source
``backups`` (on the backup's own stream, ``sequence`` = its stream version) through its outbox.
"""
import uuid
from datetime import datetime

import eventlet
import pytest
from kombu import Connection

from hgrip_kernel.errors import InvalidInput
from hgrip_kernel.messaging.topology import DEAD_LETTER_QUEUE
from hgrip_registry_sync.entrypoints.service import RegistrySyncService

LEGACY_NUMBER = "BF20190312001"   # numbered on the old platform


def _count(sync_rows, url, sql, **params) -> int:
    return sync_rows(url, sql, **params)[0][0]


def _synced_changes(sync_rows, url) -> int:
    return _count(sync_rows, url, "SELECT count(*) FROM owner_changes WHERE state = 'synced'")


def _dead_letters(amqp_uri) -> int:
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(DEAD_LETTER_QUEUE, passive=True).message_count


def _legacy_backup(backups, owner_events, number=LEGACY_NUMBER, **claim) -> tuple[dict, object]:
    """A legacy backup's stream (imported at version 1, private to backups), then its claim (2)."""
    backup_id = str(uuid.uuid4())
    payload = owner_events.claimed(backup_id, number, sequence=2, **claim)
    [_, event] = backups.publish(("LegacyBackupImported", {"backup_id": backup_id, "backup_number": number}, 0),
                                 ("BackupClaimed", payload, 1), correlation_id="req-claim")
    return payload, event


def test_delegations_and_claims_reach_hgrg_once_each_and_drafts_push_nothing(
        sync_db, sync_config, start_service, backups, backup_payload, owner_events, hgrg, sync_rows,
        rpc_proxy, amqp_uri, wait_until):
    from nameko.testing.services import entrypoint_waiter

    container = start_service(RegistrySyncService, sync_config(sync_db))

    # A draft (no number yet) delegated with the others: acknowledged, nothing to push.
    draft_id = str(uuid.uuid4())
    with entrypoint_waiter(container, "on_backup_delegated") as waited:
        backups.publish(("BackupCreated", {"backup_id": draft_id, "backup_number": None}, 0),
                        ("BackupDelegated", owner_events.delegated(draft_id, None, sequence=2), 1))
    assert waited.get() is None
    assert _count(sync_rows, sync_db, "SELECT count(*) FROM owner_changes") == 0
    assert _count(sync_rows, sync_db, "SELECT count(*) FROM events") == 0

    submitted = backup_payload()
    number = submitted["backup_number"]
    backups.submit(submitted, correlation_id="req-submit")
    delegated = owner_events.delegated(submitted["backup_id"], number, sequence=2, to_username="wangyuqing")
    [delegation] = backups.publish(("BackupDelegated", delegated, 1), correlation_id="req-delegate")
    claimed, claim = _legacy_backup(backups, owner_events)

    wait_until(lambda: _synced_changes(sync_rows, sync_db) == 2, message="both owner changes synced")
    received = {record["change_id"]: record for record in hgrg.owner_changes()}
    assert sorted(received) == sorted([delegation.event_id, claim.event_id])
    assert received[delegation.event_id]["payload"] == owner_events.body(delegation.event_id, delegated)
    assert received[delegation.event_id]["request_id"] == "req-delegate"
    assert received[claim.event_id]["payload"] == owner_events.body(claim.event_id, claimed)
    assert received[claim.event_id]["request_id"] == "req-claim"
    assert len(hgrg.owner_answers("received")) == 2 and hgrg.owner_answers("duplicate") == []

    # HGRG's view: the current owner of each number — the legacy one it never received a number for.
    owner = hgrg.owner(number)
    assert (owner["owner_username"], owner["owner_id"], owner["sequence"], owner["reason"], owner["how"]) == \
        ("wangyuqing", delegated["to_owner_id"], 2, "delegated", None)
    legacy = hgrg.owner(LEGACY_NUMBER)
    assert (legacy["owner_username"], legacy["reason"], legacy["how"]) == ("sunlijuan", "claimed", "sms")
    assert LEGACY_NUMBER not in hgrg.received_numbers()
    wait_until(lambda: hgrg.received_numbers() == [number], message="the number itself, pushed alongside")

    with rpc_proxy() as cluster:
        changes = cluster["registry-sync"].get_owner_changes(number)
        assert cluster["registry-sync"].get_owner_changes("BF2026011599999") == []
        with pytest.raises(InvalidInput) as caught:
            cluster["registry-sync"].get_owner_changes("")
    assert caught.value.code == "invalid_backup_number" and caught.value.message_zh == "备份编号必须是非空字符串。"
    [change] = changes
    synced_at = datetime.fromisoformat(change.pop("synced_at"))
    assert change == {"change_id": delegation.event_id, "backup_number": number, "reason": "delegated",
                      "owner_username": "wangyuqing", "sequence": 2, "state": "synced", "attempts": 1,
                      "last_error": None}
    assert synced_at.utcoffset().total_seconds() == 0

    # The service's record: OwnerChangeRequested then OwnerChangeSynced, under the request's id.
    rows = sync_rows(sync_db, "SELECT event_type, correlation_id, causation_id FROM events "
                              "WHERE stream_id = :s ORDER BY stream_version", s=f"owner-{delegation.event_id}")
    assert rows == [("OwnerChangeRequested", "req-delegate", delegation.event_id),
                    ("OwnerChangeSynced", "req-delegate", None)]
    assert _dead_letters(amqp_uri) == 0


def test_hgrg_down_for_a_while_then_each_change_arrives_exactly_once(
        sync_db, sync_config, start_service, backups, backup_payload, owner_events, hgrg, sync_rows,
        rpc_proxy, wait_until):
    start_service(RegistrySyncService, sync_config(sync_db))
    hgrg.control("down")
    submitted = backup_payload()
    number = submitted["backup_number"]
    backups.submit(submitted)
    [delegation] = backups.publish(
        ("BackupDelegated", owner_events.delegated(submitted["backup_id"], number, 2, "liuhaoran"), 1),
        correlation_id="req-delegate-during-outage")
    _, claim = _legacy_backup(backups, owner_events, how="institution")

    wait_until(lambda: _count(sync_rows, sync_db, "SELECT count(*) FROM owner_changes "
                                                  "WHERE state = 'failing' AND attempts >= 3") == 2,
               timeout=20, message="three failed attempts on both changes")
    with rpc_proxy() as cluster:
        [failing] = cluster["registry-sync"].get_owner_changes(number)
    assert failing["state"] == "failing" and failing["attempts"] >= 3 and failing["synced_at"] is None
    assert failing["last_error"] == "HTTP 503 unavailable: HGRG stand-in is down (control mode)"
    assert hgrg.owner_changes() == []

    hgrg.control("ok")
    wait_until(lambda: _synced_changes(sync_rows, sync_db) == 2, timeout=20,
               message="both changes synced once HGRG is back")
    assert sorted(r["change_id"] for r in hgrg.owner_changes()) == sorted([delegation.event_id, claim.event_id])
    assert sorted(hgrg.owner_answers("received")) == sorted([delegation.event_id, claim.event_id])
    assert hgrg.owner_answers("duplicate") == []                       # never pushed twice
    # Every attempt the service recorded went to HGRG in a batch (with the number's, at most three items).
    statuses = hgrg.batch_statuses()
    recorded = _count(sync_rows, sync_db, "SELECT count(*) FROM events WHERE event_type IN "
                                          "('OwnerChangeAttemptFailed', 'OwnerChangeSynced')")
    assert recorded <= 2 * len(statuses) and set(statuses) == {200, 503}
    with rpc_proxy() as cluster:
        [synced] = cluster["registry-sync"].get_owner_changes(number)
    assert synced["state"] == "synced" and synced["last_error"] is None and synced["attempts"] >= 4
    assert hgrg.owner(number)["owner_username"] == "liuhaoran"
    assert hgrg.owner(LEGACY_NUMBER)["how"] == "institution"
    wait_until(lambda: hgrg.received_numbers() == [number], message="the number too, after the outage")


def test_a_redelivered_event_adds_nothing(
        sync_db, sync_config, start_service, backups, backup_payload, owner_events, hgrg, sync_rows,
        amqp_uri, wait_until):
    from nameko.testing.services import entrypoint_waiter

    container = start_service(RegistrySyncService, sync_config(sync_db))
    submitted = backup_payload()
    backups.submit(submitted)
    [delegation] = backups.publish(
        ("BackupDelegated", owner_events.delegated(submitted["backup_id"], submitted["backup_number"], 2), 1))
    wait_until(lambda: _synced_changes(sync_rows, sync_db) == 1, message="the change synced")
    _, claim = _legacy_backup(backups, owner_events)
    wait_until(lambda: _synced_changes(sync_rows, sync_db) == 2, message="the claim synced")

    # The very same messages again, as a relay that crashed before marking its rows would send them.
    for event, entrypoint in ((delegation, "on_backup_delegated"), (claim, "on_backup_claimed")):
        with entrypoint_waiter(container, entrypoint) as waited:
            backups.send(event)
        assert waited.get() is None

    assert _count(sync_rows, sync_db, "SELECT count(*) FROM inbox WHERE consumer IN "
                                      "('registry-sync.on_backup_delegated', 'registry-sync.on_backup_claimed')") == 2
    assert _count(sync_rows, sync_db, "SELECT count(*) FROM owner_changes") == 2
    assert _count(sync_rows, sync_db, "SELECT count(*) FROM events WHERE event_type = 'OwnerChangeRequested'") == 2
    wait_until(lambda: len(hgrg.received()) == 1, message="the number")
    eventlet.sleep(0.5)   # time for any wrongly scheduled second push to show
    assert len(hgrg.owner_answers("received")) == 2 and hgrg.owner_answers("duplicate") == []   # no second push
    assert [r["change_id"] for r in hgrg.owner_changes()] == [delegation.event_id, claim.event_id]
    assert _dead_letters(amqp_uri) == 0


def test_an_older_change_arriving_late_does_not_overwrite_the_newer_owner(
        sync_db, sync_config, start_service, backups, backup_payload, owner_events, hgrg, sync_rows,
        rpc_proxy, wait_until):
    start_service(RegistrySyncService, sync_config(sync_db))
    submitted = backup_payload()
    number = submitted["backup_number"]
    backups.submit(submitted)
    # Two delegations in a row (versions 2 and 3 of the backup), held back in the outbox …
    older, newer = backups.publish(
        ("BackupDelegated", owner_events.delegated(submitted["backup_id"], number, 2, "wangyuqing"), 1),
        ("BackupDelegated", owner_events.delegated(submitted["backup_id"], number, 3, "liuhaoran"), 2),
        correlation_id="req-two-delegations", relay=False)
    # … then delivered newest first (a retried message, or another instance, lags behind).
    backups.send(newer)
    wait_until(lambda: hgrg.owner_changes() and hgrg.owner(number)["sequence"] == 3, message="the newer change")
    backups.send(older)
    wait_until(lambda: _synced_changes(sync_rows, sync_db) == 2, message="the older change synced too")

    owner = hgrg.owner(number)
    assert (owner["owner_username"], owner["sequence"], owner["change_id"]) == ("liuhaoran", 3, newer.event_id)
    assert [c["change_id"] for c in owner["changes"]] == [newer.event_id, older.event_id]   # arrival order
    assert len(hgrg.owner_answers("received")) == 2 and hgrg.owner_answers("duplicate") == []
    with rpc_proxy() as cluster:
        changes = cluster["registry-sync"].get_owner_changes(number)
    assert [(c["sequence"], c["owner_username"], c["state"]) for c in changes] == [
        (2, "wangyuqing", "synced"), (3, "liuhaoran", "synced")]                            # sequence order
