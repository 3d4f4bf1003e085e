"""The nameko shell end to end on a real broker and database: producer service → event → consumer."""

import pytest
from nameko.rpc import RpcProxy, rpc

from hgrip_kernel.dead_letters import list_dead_letters, replay
from hgrip_kernel.events import DomainEvent
from hgrip_kernel.messaging.topology import events_exchange
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer
from hgrip_kernel.outbox_relay import outbox_messages
from hgrip_kernel.testing.fixtures import inbox_rows, wait_until

FAILURES = {"left": 0}
SEEN = []


class ProducerService:
    name = "producer"
    store = EventStoreProvider(poll_interval=0.05)
    ctx = RequestContext()

    @rpc
    def make(self, stream_id, n=1):
        with self.store.unit_of_work(actor="tester", correlation_id=self.ctx.correlation_id) as uow:
            uow.append("thing", stream_id, 0, [DomainEvent("Made", {"n": n})])
        return self.ctx.correlation_id


class ConsumerService:
    name = "consumer"
    store = EventStoreProvider(poll_interval=0.05)
    ctx = RequestContext()
    producer = RpcProxy("producer")

    @event_consumer("producer", "Made")
    def on_made(self, envelope):
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise RuntimeError("transient trouble")
        with self.store.unit_of_work(causation_id=envelope.event_id,
                                     correlation_id=self.ctx.correlation_id) as uow:
            if not uow.first_time("consumer.on_made", envelope.event_id):
                return
            SEEN.append((envelope.stream_id, self.ctx.correlation_id, self.ctx.causation_id))
            uow.append("echo", f"echo-{envelope.stream_id}", 0, [DomainEvent("Echoed", {})])

    @rpc
    def relay_make(self, stream_id):
        return self.producer.make(stream_id)


@pytest.fixture
def services(make_database, service_config, start_service):
    FAILURES["left"] = 0
    SEEN.clear()
    producer_db, consumer_db = make_database(None), make_database(None)
    start_service(ProducerService, service_config("producer", producer_db))
    start_service(ConsumerService, service_config("consumer", consumer_db))
    return producer_db, consumer_db


def test_event_reaches_consumer_once_with_correlation_and_causation(services, rpc_proxy):
    _, consumer_db = services
    with rpc_proxy() as cluster:
        correlation = cluster.consumer.relay_make("s1")  # RPC → RPC → event → consumer
    wait_until(lambda: SEEN, message="event consumed")
    stream, seen_correlation, causation = SEEN[0]
    assert stream == "s1" and seen_correlation == correlation and causation
    assert inbox_rows(consumer_db) == 1


def test_duplicate_delivery_is_applied_once(services, rpc_proxy, amqp_uri):
    producer_db, consumer_db = services
    with rpc_proxy() as cluster:
        cluster.producer.make("dup")
    wait_until(lambda: SEEN, message="first delivery")
    # deliver the very same message again, as a relay crash before marking would
    from kombu import Connection, Producer

    from hgrip_kernel.store import create_engine
    engine = create_engine(producer_db)
    with engine.connect() as connection:
        message = outbox_messages(connection)[0]
    engine.dispose()
    with Connection(amqp_uri) as connection:
        Producer(connection.default_channel).publish(
            message["body"], exchange=events_exchange, routing_key=message["routing_key"],
            headers=message["properties"]["application_headers"],
            message_id=message["properties"]["message_id"], content_type="application/json",
            content_encoding="utf-8")
    import eventlet
    eventlet.sleep(0.5)
    assert len(SEEN) == 1 and inbox_rows(consumer_db) == 1


def test_failures_are_retried_then_succeed(services, rpc_proxy):
    FAILURES["left"] = 2  # MAX_DELIVERY_ATTEMPTS is 3 in tests
    with rpc_proxy() as cluster:
        cluster.producer.make("flaky")
    wait_until(lambda: SEEN, timeout=10, message="retried event consumed")
    assert FAILURES["left"] == 0


def test_failing_every_attempt_dead_letters_then_replay_applies_it(services, rpc_proxy, amqp_uri):
    _, consumer_db = services
    FAILURES["left"] = 3
    with rpc_proxy() as cluster:
        cluster.producer.make("doomed")
    letters = wait_until(lambda: list_dead_letters(amqp_uri), timeout=10, message="dead letter")
    assert len(letters) == 1
    letter = letters[0]
    assert letter.queue == "consumer.on_made" and letter.attempts == 3 and "transient" in letter.error
    assert list_dead_letters(amqp_uri)  # listing leaves it in place
    assert SEEN == []
    replayed = replay(amqp_uri, letter.message_id)
    assert [r.message_id for r in replayed] == [letter.message_id]
    wait_until(lambda: SEEN, message="replayed event consumed")
    assert list_dead_letters(amqp_uri) == [] and inbox_rows(consumer_db) == 1


def test_invalid_envelope_goes_straight_to_dead_letters(services, amqp_uri):
    from kombu import Connection, Producer
    with Connection(amqp_uri) as connection:
        Producer(connection.default_channel).publish(
            {"event_type": "Made", "data": "not a dict"}, exchange=events_exchange,
            routing_key="producer.Made", message_id="bad-1", serializer="json")
    letters = wait_until(lambda: list_dead_letters(amqp_uri), message="dead letter")
    assert letters[0].message_id == "bad-1" and letters[0].attempts == 0
    assert "invalid_envelope" in letters[0].error and SEEN == []


def test_cli_lists_and_replays(services, rpc_proxy, amqp_uri, capsys):
    from hgrip_kernel.cli.main import main
    FAILURES["left"] = 3
    with rpc_proxy() as cluster:
        cluster.producer.make("cli")
    letters = wait_until(lambda: list_dead_letters(amqp_uri), timeout=10, message="dead letter")
    assert main(["deadletters", "--amqp-uri", amqp_uri, "list"]) == 0
    assert letters[0].message_id in capsys.readouterr().out
    assert main(["deadletters", "--amqp-uri", amqp_uri, "replay", "--all"]) == 0
    assert "replayed" in capsys.readouterr().out
    wait_until(lambda: SEEN, message="replayed via CLI")
