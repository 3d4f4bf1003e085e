"""Events registered ``on_broker=False`` are stored without an outbox row, so the relay never
publishes them; a consumer of one is refused when its service starts."""
import json

import pytest
from kombu import Connection
from marshmallow import Schema, fields
from nameko.exceptions import ConfigurationError
from sqlalchemy import func, select

from hgrip_kernel.contracts import registry as platform_registry
from hgrip_kernel.errors import ConcurrencyError
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.messaging.topology import declare_topology, unroutable_queue
from hgrip_kernel.nameko import event_consumer
from hgrip_kernel.outbox_relay import OutboxRelay
from hgrip_kernel.store.tables import events, outbox


@pytest.fixture
def store(mixed_store):
    return mixed_store


def _outboxed(store) -> list[str]:
    """The event types that have an outbox row, in position order."""
    with store.engine.connect() as connection:
        return list(connection.execute(select(events.c.event_type).join(outbox, outbox.c.position == events.c.position)
                                       .order_by(outbox.c.position)).scalars())


def _count(store, table) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_on_broker_is_per_type_and_true_for_types_without_a_schema(mixed_registry):
    registry = mixed_registry
    assert registry.on_broker("tests", "Noted") is False
    assert registry.on_broker("tests", "Made") is True
    assert registry.on_broker("tests", "Other") is True
    with pytest.raises(ValueError, match="tests.Noted"):  # one routing key, one answer for every version
        registry.register("tests", "Noted", 2)(Schema.from_dict({"n": fields.Integer()}))
    assert registry.on_broker("tests", "Noted") is False


def test_registry_sync_keeps_its_own_events_off_the_broker():
    assert [platform_registry.on_broker("registry-sync", t) for t in
            ("SyncRequested", "SyncAttemptFailed", "BackupSynced", "BackupSyncOverdue")] == [False, False, False, True]


def test_an_off_broker_event_is_stored_without_an_outbox_row(store):
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Noted", {"n": 1}), DomainEvent("Made", {"n": 2})])
        uow.append("thing", "b", 0, [DomainEvent("Noted", {"n": 3})])
        uow.append("thing", "c", 0, [DomainEvent("Other", {"n": 4})])
    assert [(e.event_type, e.stream_version) for e in store.read_stream("a")] == [("Noted", 1), ("Made", 2)]
    assert [e.data["n"] for e in store.read_all()] == [1, 2, 3, 4]
    assert _outboxed(store) == ["Made", "Other"]


def test_appending_to_an_existing_stream_still_refuses_a_stale_version(store):
    """On PostgreSQL the version check is inside the first event's INSERT (the ``if_at`` statement)."""
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Made", {})])
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 1, [DomainEvent("Noted", {}), DomainEvent("Made", {})])
    assert _outboxed(store) == ["Made", "Made"]
    for stale in (1, 2, 5):  # behind, behind, ahead (a gap)
        with pytest.raises(ConcurrencyError) as caught, store.unit_of_work() as uow:
            uow.append("thing", "a", stale, [DomainEvent("Noted", {})])
        assert caught.value.details["stream_id"] == "a"
    assert [e.event_type for e in store.read_stream("a")] == ["Made", "Noted", "Made"]
    assert _count(store, events) == 3 and _count(store, outbox) == 2
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 3, [DomainEvent("Noted", {})])
    assert _count(store, events) == 4 and _count(store, outbox) == 2


def test_the_relay_publishes_only_the_on_broker_events(store, amqp_uri):
    with Connection(amqp_uri) as connection:
        declare_topology(connection.default_channel)
    with store.unit_of_work() as uow:
        uow.append("thing", "a", 0, [DomainEvent("Noted", {}), DomainEvent("Made", {})])
    relay = OutboxRelay(store.engine, amqp_uri)
    assert relay.relay_all() == 1
    relay.close()
    with Connection(amqp_uri) as connection:  # nobody is bound: the one message is kept as unroutable
        queue = unroutable_queue(connection.default_channel)
        kept = []
        while (message := queue.get(no_ack=True)) is not None:
            kept.append(json.loads(message.body)["event_type"])
    assert kept == ["Made"]


class ConsumesAnOffBrokerEvent:
    name = "offbroker"

    @event_consumer("registry-sync", "SyncRequested")
    def on_requested(self, envelope):  # pragma: no cover - never set up
        raise AssertionError("an off-broker event was delivered")


def test_a_consumer_of_an_off_broker_event_is_refused_at_setup(container_factory, service_config):
    container = container_factory(ConsumesAnOffBrokerEvent, service_config("offbroker"))
    with pytest.raises(ConfigurationError, match=r"offbroker\.on_requested.*registry-sync\.SyncRequested"):
        container.start()
