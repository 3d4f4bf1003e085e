import json

import pytest
from kombu import Connection, Queue
from sqlalchemy import select

from hgrip_kernel.events import DomainEvent
from hgrip_kernel.messaging.topology import events_exchange, unroutable_queue
from hgrip_kernel.outbox_relay import OutboxRelay
from hgrip_kernel.store import EventStore, create_engine
from hgrip_kernel.store.tables import outbox


def drain(amqp_uri, queue):
    bodies = []
    with Connection(amqp_uri) as connection:
        bound = queue(connection.default_channel)
        while (message := bound.get(no_ack=True)) is not None:
            bodies.append(message)
    return bodies


@pytest.fixture
def capture(amqp_uri):
    """A queue bound to every event, declared before anything is published."""
    queue = Queue("test.capture", exchange=events_exchange, routing_key="#", durable=True)
    with Connection(amqp_uri) as connection:
        from hgrip_kernel.messaging.topology import declare_topology
        declare_topology(connection.default_channel)
        queue(connection.default_channel).declare()
    return queue


def append(store, stream, n=1):
    with store.unit_of_work(correlation_id="req-9") as uow:
        uow.append("thing", stream, 0, [DomainEvent("Made", {"i": i}) for i in range(n)])


def unpublished(engine):
    with engine.connect() as connection:
        return connection.execute(select(outbox.c.event_id).where(outbox.c.published_at.is_(None))).all()


def test_relay_publishes_confirmed_events_with_ids_and_headers(store_url, amqp_uri, capture):
    engine = create_engine(store_url)
    store = EventStore(engine, source="tests")
    append(store, "a", 3)
    relay = OutboxRelay(engine, amqp_uri)
    assert relay.relay_all() == 3
    assert relay.relay_all() == 0  # nothing is published twice
    relay.close()
    messages = drain(amqp_uri, capture)
    assert len(messages) == 3 and not unpublished(engine)
    stored = {e.event_id: e for e in store.read_stream("a")}
    for message in messages:
        body = json.loads(message.body)
        assert message.properties["message_id"] == body["event_id"] in stored
        assert message.delivery_info["routing_key"] == "tests.Made"
        assert message.headers["nameko.correlation_id"] == "req-9"
        assert message.properties["delivery_mode"] == 2
    engine.dispose()


def test_events_nobody_listens_to_are_kept_not_dropped(store_url, amqp_uri):
    engine = create_engine(store_url)
    append(EventStore(engine, source="tests"), "a")
    relay = OutboxRelay(engine, amqp_uri)
    relay.relay_all()
    relay.close()
    assert len(drain(amqp_uri, unroutable_queue)) == 1
    engine.dispose()


def test_broker_unreachable_keeps_rows_for_later(store_url, amqp_uri, capture):
    engine = create_engine(store_url)
    append(EventStore(engine, source="tests"), "a", 2)
    broken = OutboxRelay(engine, "amqp://guest:guest@127.0.0.1:1/")
    assert broken.relay_once() == 0
    broken.close()
    with engine.connect() as connection:
        rows = connection.execute(select(outbox.c.attempts, outbox.c.last_error)).all()
    assert all(r.attempts == 1 and r.last_error for r in rows) and len(unpublished(engine)) == 2
    relay = OutboxRelay(engine, amqp_uri)
    assert relay.relay_all() == 2
    relay.close()
    assert len(drain(amqp_uri, capture)) == 2
    engine.dispose()


def test_late_committing_transaction_is_not_skipped(make_database, amqp_uri, capture):
    """PostgreSQL assigns ids at insert but rows become visible at commit, out of order.

    T1 inserts first (lower id) and commits last; the relay runs in between and must still
    publish T1's event afterwards — a relay tailing "id > last seen" would skip it forever.
    """
    url = make_database(None)
    engine = create_engine(url)
    store = EventStore(engine, source="tests")
    relay = OutboxRelay(engine, amqp_uri)

    early = store.unit_of_work(correlation_id="t1")
    uow1 = early.__enter__()
    uow1.append("thing", "first", 0, [DomainEvent("Made", {"who": "t1"})])  # holds the lower id
    append(store, "second")                                              # T2 commits first
    assert relay.relay_all() == 1
    early.__exit__(None, None, None)                                    # T1 commits late
    assert relay.relay_all() == 1
    relay.close()
    streams = sorted(json.loads(m.body)["stream_id"] for m in drain(amqp_uri, capture))
    assert streams == ["first", "second"] and not unpublished(engine)
    ids = [e.position for e in store.read_all()]
    assert ids == sorted(ids)
    engine.dispose()


def test_two_relays_share_work_without_duplicates(make_database, amqp_uri, capture):
    url = make_database(None)
    engine = create_engine(url)
    store = EventStore(engine, source="tests")
    for i in range(40):
        append(store, f"s{i}", 5)
    import eventlet
    relays = [OutboxRelay(engine, amqp_uri, batch_size=25) for _ in range(2)]
    counts = [eventlet.spawn(relay.relay_all) for relay in relays]
    published = sum(thread.wait() for thread in counts)
    for relay in relays:
        relay.close()
    messages = drain(amqp_uri, capture)
    assert published == 200 and len(messages) == 200
    assert len({m.properties["message_id"] for m in messages}) == 200
    engine.dispose()


class CountingPublisher:
    """Publishes nothing, confirms everything, counts the batches (the relay's passes with rows)."""

    def __init__(self):
        self.batches: list[int] = []

    def publish_batch(self, messages):
        self.batches.append(len(messages))
        return [True] * len(messages)

    def close(self):
        pass


def test_relay_loop_gathers_commits_under_load_and_wakes_at_once_when_idle(make_database):
    import threading
    import time

    import eventlet

    from hgrip_kernel.outbox_relay import RelayLoop
    engine = create_engine(make_database(None))
    store = EventStore(engine, source="tests")
    publisher = CountingPublisher()
    wake = threading.Event()
    store.add_commit_listener(lambda _: wake.set())
    loop = RelayLoop(OutboxRelay(engine, "amqp://unused", publisher=publisher), wake,
                     poll_interval=30, gather=0.3)
    thread = eventlet.spawn(loop.run)
    try:
        eventlet.sleep(0.1)
        started = time.monotonic()
        append(store, "idle")                          # idle: published at once, not after a poll
        while publisher.batches != [1]:
            assert time.monotonic() - started < 5, publisher.batches
            eventlet.sleep(0.01)
        assert time.monotonic() - started < 0.25       # well under the gather window
        for i in range(10):                             # under load: commits wait for the window
            append(store, f"busy{i}")
            eventlet.sleep(0.02)
        while sum(publisher.batches) < 11:
            assert time.monotonic() - started < 10, publisher.batches
            eventlet.sleep(0.02)
        assert len(publisher.batches) <= 4, publisher.batches   # 10 commits in ~0.2 s: a pass or two
        # The publisher counts a batch before the relay marks its rows sent: wait for that commit.
        while unpublished(engine):
            assert time.monotonic() - started < 10, unpublished(engine)
            eventlet.sleep(0.02)
    finally:
        loop.stop()
        thread.wait()
        engine.dispose()
