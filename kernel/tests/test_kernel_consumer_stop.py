"""Stopping a consumer mid-transaction, on a real broker and PostgreSQL: no message is acked before
its effect commits.

SIGTERM (``hgrip serve`` → ``runner.stop()``): the worker in flight finishes, commits, then acks —
the queue is empty once stopped. The grace period running out (``runner.kill()``): the transaction
rolls back and the message, never acked, is back in the queue; the next instance applies it once.
"""
import eventlet
import eventlet.event
import pytest
from kombu import Connection
from nameko.rpc import rpc

from hgrip_kernel.events import DomainEvent
from hgrip_kernel.nameko import EventStoreProvider, RequestContext, event_consumer
from hgrip_kernel.testing.fixtures import inbox_rows, wait_until

QUEUE = "stopping-consumer.on_made"   # <service>.<method>
STATE = {"inside": None, "go_on": None, "applied": 0}


class ProducerService:
    name = "stopping-producer"
    store = EventStoreProvider(poll_interval=0.05)

    @rpc
    def make(self, stream_id):
        with self.store.unit_of_work(actor="tester") as uow:
            uow.append("thing", stream_id, 0, [DomainEvent("Made", {"n": 1})])


class ConsumerService:
    name = "stopping-consumer"
    store = EventStoreProvider(poll_interval=0.05)
    ctx = RequestContext()

    @event_consumer("stopping-producer", "Made")
    def on_made(self, envelope):
        with self.store.unit_of_work(causation_id=envelope.event_id) as uow:
            if not uow.first_time("stopping-consumer.on_made", envelope.event_id):
                return
            uow.append("echo", f"echo-{envelope.stream_id}", 0, [DomainEvent("Echoed", {})])
            if STATE["go_on"] is not None:   # mid-transaction: the stop arrives now
                STATE["inside"].send()
                STATE["go_on"].wait()
        STATE["applied"] += 1


@pytest.fixture
def stopping(make_database, service_config, start_service):
    STATE.update(inside=eventlet.event.Event(), go_on=eventlet.event.Event(), applied=0)
    consumer_db = make_database(None)
    start_service(ProducerService, service_config("stopping-producer", make_database(None)))

    def consumer():
        return start_service(ConsumerService, service_config("stopping-consumer", consumer_db))
    return consumer, consumer_db


def waiting(amqp_uri) -> int:
    """Messages ready in the consumer's queue (an unacked one is ready again once its channel closed)."""
    with Connection(amqp_uri) as connection:
        return connection.default_channel.queue_declare(QUEUE, passive=True).message_count


def test_stop_mid_transaction_commits_then_acks(stopping, rpc_proxy, amqp_uri):
    consumer, consumer_db = stopping
    container = consumer()
    with rpc_proxy() as cluster:
        cluster["stopping-producer"].make("s1")
    STATE["inside"].wait()
    stopper = eventlet.spawn(container.stop)
    eventlet.sleep(0.5)
    assert not stopper.dead, "stop() must wait for the worker in flight"
    assert inbox_rows(consumer_db) == 0
    STATE["go_on"].send()
    stopper.wait()
    assert inbox_rows(consumer_db) == 1 and STATE["applied"] == 1
    assert waiting(amqp_uri) == 0   # acked before the connection closed: not delivered again


def test_kill_mid_transaction_rolls_back_and_leaves_the_message(stopping, rpc_proxy, amqp_uri):
    consumer, consumer_db = stopping
    container = consumer()
    with rpc_proxy() as cluster:
        cluster["stopping-producer"].make("s2")
    STATE["inside"].wait()
    container.kill()   # the grace period ran out
    assert inbox_rows(consumer_db) == 0 and STATE["applied"] == 0
    wait_until(lambda: waiting(amqp_uri) == 1, timeout=10, message="the unacked message back in its queue")
    STATE["go_on"] = None   # the next instance is not interrupted
    consumer()
    wait_until(lambda: STATE["applied"] == 1, timeout=10, message="redelivered and applied")
    eventlet.sleep(0.3)
    assert inbox_rows(consumer_db) == 1 and STATE["applied"] == 1
    assert waiting(amqp_uri) == 0
