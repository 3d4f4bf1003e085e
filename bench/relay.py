"""(b) Outbox relay publishes per second vs publishing with one confirm per message."""
import time

from kombu import Connection, Producer

from hgrip_kernel.events import DomainEvent
from hgrip_kernel.messaging.topology import declare_topology, events_exchange
from hgrip_kernel.outbox_relay import OutboxRelay
from hgrip_kernel.store import EventStore, create_engine

from .resources import empty_registry


def one_confirm_each(amqp_uri: str, n: int) -> float:
    body = b'{"event": "bench"}' * 20
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        declare_topology(connection.default_channel)
        producer = Producer(connection.default_channel)
        start = time.perf_counter()
        for i in range(n):
            producer.publish(body, exchange=events_exchange, routing_key="bench.Baseline",
                             delivery_mode=2, message_id=str(i), content_type="application/json")
        return n / (time.perf_counter() - start)


def relay(url: str, amqp_uri: str, n: int) -> float:
    engine = create_engine(url)
    store = EventStore(engine, source="bench", registry=empty_registry())
    with store.unit_of_work(correlation_id="bench") as uow:
        for i in range(n):
            uow.append("thing", f"relay-{i}-{time.time_ns()}", 0, [DomainEvent("Made", {"i": i})])
    outbox_relay = OutboxRelay(engine, amqp_uri)
    outbox_relay.publisher.connect()  # connected before the clock starts, as the baseline is
    start = time.perf_counter()
    published = outbox_relay.relay_all()
    elapsed = time.perf_counter() - start
    outbox_relay.close()
    engine.dispose()
    assert published == n, (published, n)
    return n / elapsed


def run(scratch, n: int = 5000) -> list[dict]:
    url, amqp_uri = scratch.database(), scratch.vhost()
    relay(url, amqp_uri, 500)
    one_confirm_each(amqp_uri, 500)
    baseline = sorted(one_confirm_each(amqp_uri, n) for _ in range(3))[1]
    measured = sorted(relay(url, amqp_uri, n) for _ in range(3))[1]
    return [{"what": "(b) outbox relay publishes/s (batches of 500 in flight, confirmed, marked in the DB)",
             "measured": f"{measured:,.0f}/s", "baseline": f"one confirm per message {baseline:,.0f}/s",
             "ratio": measured / baseline, "target": "≥ 5", "met": measured / baseline >= 5}]
