"""BackupSubmitted taken in batches (the kernel's ``batch=True``): one unit of work per prefetched batch,
each number pushed once, each sync under its own submit's ids; a poison event fails alone (its number
pushed with its batch, before the batch's unit of work failed).

Real PostgreSQL, RabbitMQ and HGRG stand-in. To make a batch form for certain, the test holds a lock
on ``sync_states`` while the events arrive: the first event's unit of work waits on it, and the events
delivered meanwhile gather behind it into the next batch.
"""
import uuid
from contextlib import contextmanager

from kombu import Connection
from sqlalchemy import create_engine, text
from structlog.testing import capture_logs

from hgrip_kernel.dead_letters import list_dead_letters
from hgrip_kernel.messaging.topology import DEAD_LETTER_QUEUE
from hgrip_registry_sync.entrypoints.service import RegistrySyncService

QUEUE = "registry-sync.on_backup_submitted"


def waiting_in(amqp_uri: str, queue: str) -> int:
    """Messages in the queue not yet delivered to a consumer."""
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


@contextmanager
def sync_states_locked(database_url: str):
    """No row of ``sync_states`` can be inserted until the block ends (reads go on)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin():
            connection.execute(text("LOCK TABLE sync_states IN SHARE ROW EXCLUSIVE MODE"))
            yield
    finally:
        engine.dispose()


def submit_each(backups, payloads) -> list:
    """One submit (its own request, correlation id ``req-<i>``) per payload, relayed together later."""
    return [backups.publish(("BackupSubmitted", payload, 0), actor=payload["owner_id"],
                            correlation_id=f"req-{index}", relay=False)[0]
            for index, payload in enumerate(payloads)]


def test_a_burst_is_taken_in_batches_and_each_number_pushed_once_under_its_own_ids(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows, amqp_uri, wait_until):
    start_service(RegistrySyncService, sync_config(sync_db))
    payloads = [backup_payload() for _ in range(40)]
    numbers = [p["backup_number"] for p in payloads]
    submitted = submit_each(backups, payloads)
    with sync_states_locked(sync_db):
        backups.relay_all()
        # The first event waits on the lock; at least two more are delivered behind it.
        wait_until(lambda: waiting_in(amqp_uri, QUEUE) <= 37, message="deliveries gathering")

    wait_until(lambda: sync_rows(sync_db, "SELECT count(*) FROM sync_states WHERE state = 'synced'")[0][0] == 40,
               message="every number synced")
    assert sorted(hgrg.answers("received")) == sorted(numbers) and hgrg.answers("duplicate") == []
    assert {r["backup_number"]: r["request_id"] for r in hgrg.received()} == {
        n: f"req-{i}" for i, n in enumerate(numbers)}
    # Each SyncRequested carries its own submit's correlation id, its event's id as causation and its actor…
    requested = sync_rows(sync_db, "SELECT stream_id, correlation_id, causation_id, actor, xmin::text FROM events "
                                   "WHERE event_type = 'SyncRequested'")
    assert sorted(row[:4] for row in requested) == sorted(
        (f"sync-{p['backup_number']}", f"req-{i}", event.event_id, p["owner_id"])
        for i, (p, event) in enumerate(zip(payloads, submitted, strict=True)))
    # …and they were written by fewer transactions than events: batches.
    assert len({row[4] for row in requested}) < 40
    assert sync_rows(sync_db, "SELECT count(*) FROM inbox")[0][0] == 40
    assert waiting_in(amqp_uri, DEAD_LETTER_QUEUE) == 0


def test_a_poison_event_in_a_batch_fails_alone_and_the_others_are_synced(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows, amqp_uri, wait_until):
    start_service(RegistrySyncService, sync_config(sync_db, MAX_DELIVERY_ATTEMPTS=2))
    # A backup id the contract takes (a UUID in braces) but too long for sync_states.backup_id: its unit
    # of work fails on every try, whatever else it holds.
    poison = backup_payload(backup_id="{" + str(uuid.uuid4()) + "}")
    good = [backup_payload() for _ in range(6)]
    payloads = [good[0], good[1], good[2], poison, good[3], good[4], good[5]]
    submitted = submit_each(backups, payloads)
    with capture_logs() as logged:
        with sync_states_locked(sync_db):
            backups.relay_all()
            # The first event waits on the lock; the other six gather behind it, one batch.
            wait_until(lambda: waiting_in(amqp_uri, QUEUE) == 0, message="every event delivered")
        letters = wait_until(lambda: list_dead_letters(amqp_uri), timeout=30, message="the poison dead-lettered")
        wait_until(lambda: sync_rows(sync_db, "SELECT count(*) FROM sync_states WHERE state = 'synced'")[0][0] == 6,
                   message="the good numbers synced")

    [letter] = letters
    assert (letter.message_id, letter.queue, letter.attempts) == (submitted[3].event_id, QUEUE, 2)
    assert "StringDataRightTruncation" in letter.error or "too long" in letter.error
    assert [(e["size"], e["queue"]) for e in logged if e["event"] == "event_batch_failed"] == [(6, QUEUE)]
    # The six were pushed first, as one batch, before their unit of work failed: HGRG has the poison's
    # number too (it is a submitted backup's), each once; retried alone, none was pushed again.
    assert sorted(hgrg.answers("received")) == sorted(p["backup_number"] for p in payloads)
    assert hgrg.answers("duplicate") == []
    assert sorted(row[0] for row in sync_rows(sync_db, "SELECT backup_number FROM sync_states")) == sorted(
        p["backup_number"] for p in good)
    assert sync_rows(sync_db, "SELECT count(*) FROM events WHERE stream_id = :s",
                     s=f"sync-{poison['backup_number']}")[0][0] == 0
