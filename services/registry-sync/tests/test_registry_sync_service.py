"""RegistrySyncService end to end: BackupSubmitted over RabbitMQ in, HGRG receipts out.

Real PostgreSQL, RabbitMQ and HGRG stand-in; the events come from a real event store with source
``backups`` through its outbox relay, as the backups service sends them.
"""
import json
import statistics
import uuid
from datetime import datetime

import eventlet
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from kombu import Connection, Producer
from sqlalchemy import create_engine, inspect

from hgrip_kernel.errors import NotFound
from hgrip_kernel.messaging.topology import DEAD_LETTER_QUEUE, events_exchange, unroutable_queue
from hgrip_kernel.outbox_relay import outbox_messages
from hgrip_registry_sync.adapters.tables import metadata
from hgrip_registry_sync.entrypoints.service import RegistrySyncService


def test_migrations_give_exactly_the_model(sync_db):
    engine = create_engine(sync_db)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version", "events", "outbox", "inbox",
                                                          "sync_states", "owner_changes"}
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
        # Only the push queues are this model's; the kernel's tables (and their indexes) are not in it.
        assert [d for d in diff if _table_of(d) in ("sync_states", "owner_changes")] == []
        for table in ("sync_states", "owner_changes"):
            checks = inspect(engine).get_check_constraints(table)
            assert [c["name"] for c in checks] == [f"ck_{table}_state"]
            assert "failing" in checks[0]["sqltext"] and "failed" not in checks[0]["sqltext"]
        assert {i["name"] for i in inspect(engine).get_indexes("owner_changes")} == {
            "ix_owner_changes_due", "ix_owner_changes_number"}
    finally:
        engine.dispose()


def _table_of(difference) -> str | None:
    element = difference[1] if isinstance(difference, tuple) else difference[0][1]
    return getattr(element, "name", None) if difference[0] in ("add_table", "remove_table") \
        else getattr(getattr(element, "table", None), "name", None)


def test_health_over_rpc_under_the_dashed_name(sync_db, sync_config, start_service, rpc_proxy):
    start_service(RegistrySyncService, sync_config(sync_db))
    with rpc_proxy() as cluster:
        assert cluster["registry-sync"].health() == {"service": "registry-sync", "ok": True,
                                                     "database": "ok"}


def test_every_submitted_number_reaches_hgrg_once_within_a_second(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows, rpc_proxy,
        wait_until, amqp_uri):
    start_service(RegistrySyncService, sync_config(sync_db))
    payloads = [backup_payload() for _ in range(12)]
    numbers = [p["backup_number"] for p in payloads]
    for index, payload in enumerate(payloads):   # one submit (request) at a time, as users do
        backups.submit(payload, correlation_id=f"req-submit-{index}")

    wait_until(lambda: len(hgrg.received()) == 12, message="HGRG to receive every number")
    wait_until(lambda: sync_rows(sync_db, "SELECT count(*) FROM sync_states WHERE state = 'synced'")[0][0] == 12,
               message="every state synced")
    received = {r["backup_number"]: r for r in hgrg.received()}
    assert sorted(received) == sorted(numbers)
    assert hgrg.answers("duplicate") == [] and sorted(hgrg.answers("received")) == sorted(numbers)   # once each
    assert set(hgrg.batch_statuses()) == {200} and sum(hgrg.batch_sizes()) == 12
    for index, payload in enumerate(payloads):
        record = received[payload["backup_number"]]
        assert record["payload"] == payload                     # the BackupSubmitted payload, as is
        assert record["request_id"] == f"req-submit-{index}"    # the submit's correlation id

    with rpc_proxy() as cluster:
        states = [cluster["registry-sync"].get_sync_state(n) for n in numbers]
    for number, state in zip(numbers, states, strict=True):
        synced_at = datetime.fromisoformat(state.pop("synced_at"))
        assert state == {"backup_number": number, "state": "synced", "attempts": 1,
                         "last_error": None, "next_attempt_at": None}
        assert synced_at.utcoffset().total_seconds() == 0
        assert synced_at >= datetime.fromisoformat(received[number]["received_at"].replace("Z", "+00:00"))

    # The service's own record: SyncRequested then BackupSynced on sync-<number>, submit's id on both.
    rows = sync_rows(sync_db, "SELECT stream_id, event_type, correlation_id FROM events "
                              "ORDER BY stream_id, stream_version")
    by_stream = {}
    for stream_id, event_type, correlation_id in rows:
        by_stream.setdefault(stream_id, []).append((event_type, correlation_id))
    assert by_stream == {f"sync-{n}": [("SyncRequested", f"req-submit-{i}"), ("BackupSynced", f"req-submit-{i}")]
                         for i, n in enumerate(numbers)}
    # A record kept in registry-sync's store only (on_broker=False): no outbox row, so nothing goes
    # to the broker, where no queue is bound for it (it would sit in hgrip.unroutable).
    assert sync_rows(sync_db, "SELECT count(*) FROM outbox")[0][0] == 0
    with Connection(amqp_uri) as connection:
        unroutable = unroutable_queue(connection.default_channel)
        sources = []
        while (message := unroutable.get(no_ack=True)) is not None:
            sources.append(json.loads(message.body)["source"])
    assert "registry-sync" not in sources

    # Publish (outbox relay confirmed) → HGRG receipt: the contract says well under a second.
    delays = [datetime.fromisoformat(received[n]["received_at"].replace("Z", "+00:00")).timestamp()
              - backups.published_at[n] for n in numbers]
    print(f"\npublish → HGRG receipt over {len(delays)} numbers: median {statistics.median(delays) * 1000:.0f} ms, "
          f"max {max(delays) * 1000:.0f} ms")
    assert statistics.median(delays) < 0.5 and max(delays) < 2.0   # slack for a loaded machine


def test_an_idle_pusher_pushes_a_new_number_within_milliseconds_without_polling(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, wait_until):
    # Polling every 30 s: only the consumer's hand-over can get a number there promptly.
    start_service(RegistrySyncService, sync_config(sync_db, SYNC_POLL_INTERVAL=30))
    delays = []
    for _ in range(5):
        eventlet.sleep(0.3)   # idle between submissions
        payload = backup_payload()
        backups.submit(payload)
        number = payload["backup_number"]
        wait_until(lambda n=number: n in hgrg.received_numbers(), timeout=5, message="the receipt")
        record = next(r for r in hgrg.received() if r["backup_number"] == number)
        delays.append(datetime.fromisoformat(record["received_at"].replace("Z", "+00:00")).timestamp()
                      - backups.published_at[number])
    print(f"\nidle: publish → HGRG receipt {', '.join(f'{d * 1000:.0f}' for d in delays)} ms")
    assert statistics.median(delays) < 0.25 and max(delays) < 1.0   # (slack for a loaded machine)
    assert hgrg.batch_sizes() == [1] * 5   # each pushed alone, at once


def test_get_sync_state_of_an_unknown_number_is_not_found(sync_db, sync_config, start_service, rpc_proxy):
    start_service(RegistrySyncService, sync_config(sync_db))
    with rpc_proxy() as cluster, pytest.raises(NotFound) as caught:
        cluster["registry-sync"].get_sync_state("BF2026011599999")
    assert caught.value.code == "sync_state_not_found"
    assert caught.value.message_zh == "未找到该备份编号的人遗系统同步记录。"
    assert caught.value.details == {"backup_number": "BF2026011599999"}


def test_the_same_event_twice_and_the_same_number_twice_give_one_state_and_one_receipt(
        sync_db, sync_config, start_service, backups, backup_payload, hgrg, sync_rows, amqp_uri,
        wait_until):
    from nameko.testing.services import entrypoint_waiter

    container = start_service(RegistrySyncService, sync_config(sync_db))
    payload = backup_payload()
    backups.submit(payload)
    wait_until(lambda: hgrg.received_numbers() == [payload["backup_number"]], message="first receipt")

    # The very same message again (as a relay that crashed before marking its row would send it),
    # then another event naming the same number (a backups bug or a replay): both add nothing.
    with backups.engine.connect() as connection:
        [message] = outbox_messages(connection)
    properties = dict(message["properties"])
    headers = properties.pop("application_headers")
    with entrypoint_waiter(container, "on_backup_submitted") as waited, Connection(amqp_uri) as connection:
        Producer(connection).publish(message["body"], exchange=events_exchange, headers=headers,
                                     routing_key=message["routing_key"], **properties)
    assert waited.get() is None
    with entrypoint_waiter(container, "on_backup_submitted") as waited:
        backups.submit({**payload, "backup_id": str(uuid.uuid4())})
    assert waited.get() is None

    assert sync_rows(sync_db, "SELECT count(*) FROM inbox")[0][0] == 2   # both events applied…
    assert sync_rows(sync_db, "SELECT backup_number, backup_id FROM sync_states") == [
        (payload["backup_number"], payload["backup_id"])]                 # …to one state, the first
    assert sync_rows(sync_db, "SELECT count(*) FROM events WHERE event_type = 'SyncRequested'")[0][0] == 1
    eventlet.sleep(0.5)   # time for any wrongly scheduled second push to show
    assert hgrg.answers("received") == [payload["backup_number"]] and hgrg.answers("duplicate") == []
    with Connection(amqp_uri) as connection:
        assert connection.default_channel.queue_declare(DEAD_LETTER_QUEUE, passive=True).message_count == 0


def test_a_malformed_payload_is_dead_lettered_and_nothing_is_recorded(
        sync_db, sync_config, start_service, backup_payload, hgrg, sync_rows, amqp_uri, wait_until):
    """Sent straight to the broker (a store would refuse to write it once backups' contract exists)."""
    import json

    from hgrip_kernel.envelope import Envelope, dump_envelope, utcnow

    start_service(RegistrySyncService, sync_config(sync_db))
    bad = backup_payload(backup_number="BF-not-a-number")
    envelope = Envelope(event_id=str(uuid.uuid4()), event_type="BackupSubmitted", schema_version=1,
                        source="backups", stream_type="backup", stream_id=f"backup-{bad['backup_id']}",
                        stream_version=1, occurred_at=utcnow(), actor=None, correlation_id="req-bad",
                        causation_id=None, data=bad)
    with Connection(amqp_uri) as connection:
        Producer(connection).publish(json.dumps(dump_envelope(envelope)).encode(), exchange=events_exchange,
                                     routing_key="backups.BackupSubmitted", content_type="application/json",
                                     message_id=envelope.event_id)

    def dead_letters():
        with Connection(amqp_uri) as connection:
            return connection.default_channel.queue_declare(DEAD_LETTER_QUEUE, passive=True).message_count
    wait_until(lambda: dead_letters() == 1, message="the malformed event to be dead-lettered")
    assert sync_rows(sync_db, "SELECT count(*) FROM sync_states")[0][0] == 0
    assert sync_rows(sync_db, "SELECT count(*) FROM events")[0][0] == 0
    assert hgrg.batch_statuses() == []
